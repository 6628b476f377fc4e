/* Budgets for what one endpoint can make the bridge spend: a token bucket
 * refilled with time (requests per second), and a credit refilled by what
 * the endpoint is sent (bytes of retransmission per byte of media). */
#ifndef STOA_BUDGET_H
#define STOA_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct budget {
    uint32_t tokens;               /* in thousandths, so that slow rates refill smoothly */
    int64_t at_ms;                 /* last refill; 0: never (starts full) */
} budget;

/* Takes one token from a bucket holding at most burst tokens and refilled
 * at per_second. Returns false (taking nothing) when it is empty. */
bool budget_take(budget *b, uint32_t per_second, uint32_t burst, int64_t now_ms);

typedef struct credit {
    uint32_t bytes;
} credit;

/* Adds earned bytes, up to cap. */
static inline void credit_earn(credit *c, uint32_t bytes, uint32_t cap)
{
    c->bytes = c->bytes + bytes > cap || c->bytes + bytes < c->bytes ? cap : c->bytes + bytes;
}

/* Spends cost bytes when there are that many; returns false otherwise. */
static inline bool credit_spend(credit *c, uint32_t cost)
{
    if (c->bytes < cost)
        return false;
    c->bytes -= cost;
    return true;
}

#endif
