/* Buckets of the forwarding delay histogram (see forward_delay.h). */
#include "bridge/forward_delay.h"

const uint32_t forward_delay_bounds_us[FORWARD_DELAY_BUCKETS] = {
    /* Fine around a millisecond, the figure to beat. */
    25, 50, 100, 150, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 50000,
    UINT32_MAX,
};

int forward_delay_bucket(int64_t us)
{
    int i = 0;
    while (i < FORWARD_DELAY_BUCKETS - 1 && us > (int64_t)forward_delay_bounds_us[i])
        i++;
    return i;
}
