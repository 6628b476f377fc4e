/* Token buckets, constant-time password comparison, and the per-address
 * password budget. */
#include "focus/limits.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "focus/signal_msg.h"

bool token_bucket_take(token_bucket *b, const bucket_rate *rate, int64_t now_ms)
{
    if (!b->started) {
        b->started = true;
        b->tokens = rate->burst;
        b->last_ms = now_ms;
    } else if (now_ms > b->last_ms && rate->refill_ms > 0) {
        int64_t gained = (now_ms - b->last_ms) / rate->refill_ms;
        if (b->tokens + gained >= rate->burst) {
            b->tokens = rate->burst;
            b->last_ms = now_ms;
        } else {
            b->tokens += (int)gained;
            b->last_ms += gained * rate->refill_ms;   /* keep the part of a token under way */
        }
    }
    if (b->tokens <= 0)
        return false;
    b->tokens--;
    return true;
}

bool password_equal(const char *given, const char *expected)
{
    /* Both are at most SIGNAL_PASSWORD_MAX bytes (the decoder refuses longer
     * ones): compare whole zero-padded buffers, so the time says nothing of
     * the expected length or of the first difference. */
    unsigned char a[SIGNAL_PASSWORD_MAX + 1] = { 0 }, b[SIGNAL_PASSWORD_MAX + 1] = { 0 };
    size_t la = strnlen(given, SIGNAL_PASSWORD_MAX + 1), lb = strnlen(expected, SIGNAL_PASSWORD_MAX + 1);
    if (la > SIGNAL_PASSWORD_MAX || lb > SIGNAL_PASSWORD_MAX)
        return false;
    memcpy(a, given, la);
    memcpy(b, expected, lb);
    int differ = CRYPTO_memcmp(a, b, sizeof a);
    return (differ == 0) & (la == lb);
}

typedef struct address_failures {
    char address[ADDRESS_KEY_MAX];
    int failures;
    int64_t last_ms;               /* of the last failure */
} address_failures;

struct password_budget {
    address_failures entries[PASSWORD_ADDRESSES];
    size_t n;
};

password_budget *password_budget_new(void)
{
    return calloc(1, sizeof(password_budget));
}

void password_budget_free(password_budget *b)
{
    free(b);
}

/* The address's entry, forgetting it when it is old; NULL when none. */
static address_failures *find(password_budget *b, const char *address, int64_t now_ms)
{
    for (size_t i = 0; i < b->n; i++) {
        address_failures *e = &b->entries[i];
        if (strcmp(e->address, address) != 0)
            continue;
        if (now_ms - e->last_ms < PASSWORD_FORGET_MS)
            return e;
        b->entries[i] = b->entries[--b->n];
        return NULL;
    }
    return NULL;
}

static int64_t wait_after(int failures)
{
    int over = failures - PASSWORD_FREE_TRIES_PER_ADDRESS;
    if (over <= 0)
        return 0;
    if (over > 20)
        return PASSWORD_MAX_WAIT_MS;
    int64_t wait = (int64_t)1000 << (over - 1);
    return wait < PASSWORD_MAX_WAIT_MS ? wait : PASSWORD_MAX_WAIT_MS;
}

int64_t password_budget_wait_ms(password_budget *b, const char *address, int64_t now_ms)
{
    address_failures *e = address && *address ? find(b, address, now_ms) : NULL;
    if (!e)
        return 0;
    int64_t left = e->last_ms + wait_after(e->failures) - now_ms;
    return left > 0 ? left : 0;
}

void password_budget_failed(password_budget *b, const char *address, int64_t now_ms)
{
    if (!address || !*address)
        return;
    address_failures *e = find(b, address, now_ms);
    if (!e && b->n < PASSWORD_ADDRESSES) {
        e = &b->entries[b->n++];
    } else if (!e) {
        /* Full: the address whose last failure is oldest makes room. */
        e = &b->entries[0];
        for (size_t i = 1; i < b->n; i++)
            if (b->entries[i].last_ms < e->last_ms)
                e = &b->entries[i];
    }
    if (strcmp(e->address, address) != 0) {
        memset(e, 0, sizeof *e);
        snprintf(e->address, sizeof e->address, "%s", address);
    }
    e->failures++;
    e->last_ms = now_ms;
}
