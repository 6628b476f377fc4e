/* Probing a receiver's path: while a receiver is held on a lower simulcast
 * layer than it wants (or a camera is held back), its estimate cannot grow
 * much past what it is sent. Now and then the worker's tick sends it a
 * probe cluster: padding on an RTX stream it knows, paced over a few ticks
 * so that media and padding together reach 2 x the estimate (3 x after
 * a probe that found room), every 1.5 s, backing off to 4 s while probes
 * find nothing; the estimator (bwe.h) takes
 * the cluster's arrival rate. Worker thread only. */
#ifndef STOA_BRIDGE_PROBE_H
#define STOA_BRIDGE_PROBE_H

#include <stdint.h>

#include "bridge/endpoint.h"

/* Called every tick (tick_ms apart) for a connected endpoint with an estimator. */
void probe_tick(endpoint *ep, int tick_ms, int64_t now_ms);

#endif
