/* ICE-lite for a media worker: STUN binding requests are answered, and each
 * valid check makes its source address (UDP) or connection (ICE-TCP) a path
 * of the endpoint; the first path carries the media until one is
 * nominated, then the nominated pair of the highest priority does (RFC 8445
 * 8.1.1: a browser nominating aggressively, as Firefox does, nominates its
 * ICE-TCP pair too, and the last nominated is not the one it uses). */
#ifndef STOA_ICE_LITE_H
#define STOA_ICE_LITE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bridge/worker.h"

/* Where a packet came from: a UDP address (and the local address it
 * reached), or an ICE-TCP connection. Replies go back the same way. */
typedef struct ice_origin {
    const struct sockaddr *addr;
    socklen_t addr_len;
    struct in_addr local;
    tcp_conn *tcp;                 /* NULL for UDP */
} ice_origin;

/* Our candidates' priorities (RFC 8445 5.1.2.1): host type preference
 * (UDP 126, ICE-TCP lower so that UDP comes first), local preference
 * falling with the advertised address's index, component 1. */
#define ICE_TYPE_PREF_UDP 126u
#define ICE_TYPE_PREF_TCP 90u
#define ICE_CANDIDATE_PRIORITY(type_pref, index) \
    (((uint32_t)(type_pref) << 24) | ((uint32_t)(65535 - (index)) << 8) | 255u)

/* A nominated pair of higher priority that got no check for this long is
 * taken for dead, and a lower one nominated then is used: browsers check the
 * pair they use every 2.5 to 6 s (RFC 7675 consent). */
#define ICE_SELECTED_STALE_MS 7000

/* The priority of a pair (RFC 8445 6.1.2.3) whose controlling agent's
 * candidate has priority g and ours d (we are always controlled). */
uint64_t ice_pair_priority(uint32_t g, uint32_t d);

/* Whether a check nominating a pair of priority candidate moves the media
 * off the selected pair (priority selected, 0: not nominated; its last
 * check at selected_check_ms). */
bool ice_nomination_moves(uint64_t selected, int64_t selected_check_ms, uint64_t candidate, int64_t now);

/* Handles one STUN message: a Binding request whose USERNAME names one of
 * the worker's endpoints and whose MESSAGE-INTEGRITY matches its password
 * is answered (success, XOR-MAPPED-ADDRESS) and refreshes consent; a wrong
 * password gets 401; anything else is counted and dropped. May expire the
 * endpoint (when DTLS cannot start). */
void ice_handle_stun(worker *w, const uint8_t *buf, size_t len, const ice_origin *o, int64_t now);

#endif
