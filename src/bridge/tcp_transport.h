/* ICE-TCP for a media worker (RFC 6544, passive candidates only): a
 * listening socket beside the UDP one, and accepted connections that carry
 * STUN, DTLS and SRTP in RFC 4571 frames (a 16-bit length, then the packet).
 * For participants whose UDP is blocked. Runs on the worker's thread. */
#ifndef STOA_TCP_TRANSPORT_H
#define STOA_TCP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/log.h"

#define TCP_MAX_CONNECTIONS 1024
/* Not yet claimed by a valid ICE check: few, so that nobody can fill the
 * pool and lock real ICE-TCP users out, and fewer still from one address. */
#define TCP_MAX_UNCLAIMED 128
#define TCP_MAX_UNCLAIMED_PER_ADDRESS 8
#define TCP_MAX_QUEUED (1024 * 1024)   /* bytes waiting to be written per connection */
#define TCP_UNCLAIMED_MS 10000         /* a connection without a valid ICE check by then is closed */
/* RFC 4571 allows 65535-byte frames, but a frame carries one datagram of
 * the UDP path's size: anything longer closes the connection. */
#define TCP_MAX_FRAME 1500
#define TCP_ACCEPT_PAUSE_MS 250        /* out of descriptors: stop accepting for a while */

typedef struct tcp_conn {
    int fd;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    void *owner;                   /* the endpoint whose ICE check came on it, or NULL */
    int64_t accepted_ms;
    uint8_t rx[2 + TCP_MAX_FRAME]; /* one whole frame at most */
    size_t rx_len;
    uint8_t *tx;                   /* framed bytes not yet written */
    size_t tx_len;
    size_t tx_cap;
    bool want_write;               /* EPOLLOUT is armed */
    struct tcp_conn *next;
} tcp_conn;

typedef struct tcp_transport {
    int listen_fd;
    int epoll_fd;
    tcp_conn *conns;
    int n_conns;
    int64_t accept_paused_until_ms;   /* 0: accepting */
    /* What was refused (the worker publishes these as metrics). */
    uint64_t refused_connections;  /* over a limit, or out of descriptors */
    uint64_t oversize_frames;      /* connections closed for a frame over TCP_MAX_FRAME */
    log_limit refusal_log;
} tcp_transport;

/* One received frame; the callee may modify it in place. */
typedef void (*tcp_frame_fn)(void *user, tcp_conn *c, uint8_t *frame, size_t len);
/* A connection is about to be freed; c->owner is still set. */
typedef void (*tcp_closed_fn)(void *user, tcp_conn *c);

/* Listens on port (all IPv4 addresses) and registers with epoll_fd
 * (data.fd = the listening socket). Returns 0, or -1 (logged). */
int tcp_transport_init(tcp_transport *t, uint16_t port, int epoll_fd);
/* Closes every connection (calling on_closed) and the listener. */
void tcp_transport_close(tcp_transport *t, tcp_closed_fn on_closed, void *user);
/* Handles an epoll event if fd is the listener or one of the connections;
 * returns false when fd is not ours. */
bool tcp_transport_event(tcp_transport *t, int fd, uint32_t events, int64_t now_ms,
                         tcp_frame_fn on_frame, tcp_closed_fn on_closed, void *user);
/* Queues one packet as a frame and writes what the socket takes now.
 * Returns 0, or -1 when the packet is dropped (too big, the queue is full). */
int tcp_conn_send(tcp_transport *t, tcp_conn *c, const uint8_t *data, size_t len);
/* Closes connections that no endpoint claimed within TCP_UNCLAIMED_MS. */
void tcp_transport_expire(tcp_transport *t, int64_t now_ms, tcp_closed_fn on_closed, void *user);
/* Forgets owner (it is going away): its connections lose their owner and
 * are closed at the next tcp_transport_expire — not now, as this may be
 * called from inside a frame callback on one of them. */
void tcp_transport_disown(tcp_transport *t, const void *owner);

#endif
