/* Token buckets for the per-endpoint budgets (see budget.h). */
#include "bridge/budget.h"

bool budget_take(budget *b, uint32_t per_second, uint32_t burst, int64_t now_ms)
{
    uint64_t cap = (uint64_t)burst * 1000;
    if (b->at_ms == 0) {
        b->tokens = (uint32_t)cap;
    } else if (now_ms > b->at_ms) {
        uint64_t refill = (uint64_t)(now_ms - b->at_ms) * per_second;
        b->tokens = b->tokens + refill >= cap ? (uint32_t)cap : (uint32_t)(b->tokens + refill);
    }
    b->at_ms = now_ms;
    if (b->tokens < 1000)
        return false;
    b->tokens -= 1000;
    return true;
}
