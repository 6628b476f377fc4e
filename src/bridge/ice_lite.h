/* ICE-lite for a media worker: STUN binding requests are answered, and each
 * valid check makes its source address (UDP) or connection (ICE-TCP) a path
 * of the endpoint; the first path, or a nominated one, carries the media. */
#ifndef STOA_ICE_LITE_H
#define STOA_ICE_LITE_H

#include <netinet/in.h>
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

/* Handles one STUN message: a Binding request whose USERNAME names one of
 * the worker's endpoints and whose MESSAGE-INTEGRITY matches its password
 * is answered (success, XOR-MAPPED-ADDRESS) and refreshes consent; a wrong
 * password gets 401; anything else is counted and dropped. May expire the
 * endpoint (when DTLS cannot start). */
void ice_handle_stun(worker *w, const uint8_t *buf, size_t len, const ice_origin *o, int64_t now);

#endif
