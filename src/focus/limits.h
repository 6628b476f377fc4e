/* The focus's budgets for what one client can make it do: token buckets for
 * messages that reach everyone, and the password-attempt budget of source
 * addresses (docs/security.md, "Signalling and HTTP limits"). */
#ifndef STOA_FOCUS_LIMITS_H
#define STOA_FOCUS_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A rate: `burst` at once, then one more every `refill_ms`. */
typedef struct bucket_rate {
    int burst;
    int refill_ms;
} bucket_rate;

typedef struct token_bucket {
    int64_t last_ms;               /* when tokens was last brought up to date */
    int tokens;
    bool started;                  /* false: full */
} token_bucket;

/* Takes one token if there is one (true), else false. */
bool token_bucket_take(token_bucket *b, const bucket_rate *rate, int64_t now_ms);

/* Whether two passwords are equal, in time that depends on neither's
 * content nor on where they differ (only on SIGNAL_PASSWORD_MAX). */
bool password_equal(const char *given, const char *expected);

/* Wrong passwords per source address (IPv4, or an IPv6 /64, as a string),
 * remembered for a while so that reconnecting does not reset the budget. */
#define ADDRESS_KEY_MAX 64
typedef struct password_budget password_budget;

/* NULL when out of memory. */
password_budget *password_budget_new(void);
void password_budget_free(password_budget *b);
/* 0 when address may try a password now, else the milliseconds it has to
 * wait. */
int64_t password_budget_wait_ms(password_budget *b, const char *address, int64_t now_ms);
/* Records a wrong password from address. */
void password_budget_failed(password_budget *b, const char *address, int64_t now_ms);

#define PASSWORD_TRIES_PER_CONNECTION 5    /* wrong ones, then the socket is closed */
/* A whole NAT (a university, a company) shares an address: the first
 * PASSWORD_FREE_TRIES_PER_ADDRESS wrong passwords cost nothing; each further
 * one doubles a wait, from 1 s up to PASSWORD_MAX_WAIT_MS. */
#define PASSWORD_FREE_TRIES_PER_ADDRESS 20
#define PASSWORD_MAX_WAIT_MS (5 * 60 * 1000)
#define PASSWORD_FORGET_MS (15 * 60 * 1000) /* an address's count goes after this long without a failure */
#define PASSWORD_ADDRESSES 4096             /* remembered at most (the oldest go first) */

#endif
