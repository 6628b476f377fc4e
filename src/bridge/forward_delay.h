/* How long forwarded packets spend in the bridge: from the kernel's receive
 * timestamp (SO_TIMESTAMPNS) to the end of the sendmmsg that sent them on,
 * counted per received RTP packet that reached at least one receiver, in
 * fixed buckets (a Prometheus histogram, stoa_forward_delay_seconds). The
 * time a packet waits in the socket buffer while the worker is busy counts:
 * it is delay the bridge adds. */
#ifndef STOA_BRIDGE_FORWARD_DELAY_H
#define STOA_BRIDGE_FORWARD_DELAY_H

#include <stdint.h>

#define FORWARD_DELAY_BUCKETS 21

/* Upper bounds of the buckets in µs; the last one takes everything longer. */
extern const uint32_t forward_delay_bounds_us[FORWARD_DELAY_BUCKETS];

/* The bucket of a delay in µs (negative: clock steps, counted as 0). */
int forward_delay_bucket(int64_t us);

#endif
