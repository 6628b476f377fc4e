/* The bridge's allocate-ok as the focus reads it: hostile input (a bridge
 * may be another process, compromised or confused), every field checked
 * before it goes into an offer, where a stray CR/LF would be SDP injection. */
#ifndef STOA_ALLOCATION_H
#define STOA_ALLOCATION_H

#include <jansson.h>
#include <stddef.h>

#include "focus/offer.h"

/* Fills t from an allocate-ok: ICE ufrag (4..256) and pwd (22..256) of
 * ice-chars, a "sha-256" fingerprint of 32 hex bytes, 1..SDP_MAX_CANDIDATES
 * candidates with a numeric IPv4/IPv6 address, port 1..65535, priority
 * 1..2^32-1, a foundation of 1..32 ice-chars and protocol "udp" or "tcp"
 * (passive). Returns 0, or -1 with the first problem in err (t is then
 * partly written and must not be used). */
int allocation_parse(const json_t *msg, offer_transport *t, char *err, size_t errlen);

#endif
