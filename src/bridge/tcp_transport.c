/* ICE-TCP passive listener and RFC 4571 framed connections for a worker. */
#include "bridge/tcp_transport.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"

#define FRAME_MAX 65535             /* what a sent frame's length field can say */

int tcp_transport_init(tcp_transport *t, uint16_t port, int epoll_fd)
{
    memset(t, 0, sizeof *t);
    t->epoll_fd = epoll_fd;
    t->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->listen_fd < 0)
        return -1;
    int on = 1;
    setsockopt(t->listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port) };
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = t->listen_fd };
    if (bind(t->listen_fd, (struct sockaddr *)&any, sizeof any) < 0 || listen(t->listen_fd, 128) < 0 ||
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, t->listen_fd, &ev) < 0) {
        log_error("tcp", "cannot listen on TCP port %u: %s", port, strerror(errno));
        close(t->listen_fd);
        t->listen_fd = -1;
        return -1;
    }
    return 0;
}

static void conn_free(tcp_transport *t, tcp_conn *c, tcp_closed_fn on_closed, void *user)
{
    for (tcp_conn **p = &t->conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    t->n_conns--;
    if (on_closed)
        on_closed(user, c);
    epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->tx);
    free(c);
}

void tcp_transport_close(tcp_transport *t, tcp_closed_fn on_closed, void *user)
{
    while (t->conns)
        conn_free(t, t->conns, on_closed, user);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    t->listen_fd = -1;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* Whether one more connection from peer fits the limits on connections
 * that no ICE check has claimed yet. */
static bool room_for_unclaimed(const tcp_transport *t, const struct sockaddr_storage *peer)
{
    int unclaimed = 0, from_peer = 0;
    for (const tcp_conn *c = t->conns; c; c = c->next) {
        if (c->owner)
            continue;
        unclaimed++;
        from_peer += same_host(&c->peer, peer);
    }
    return t->n_conns < TCP_MAX_CONNECTIONS && unclaimed < TCP_MAX_UNCLAIMED &&
           from_peer < TCP_MAX_UNCLAIMED_PER_ADDRESS;
}

/* Out of descriptors: the listener stays readable, so stop watching it for
 * a while instead of spinning on accept. */
static void pause_accepting(tcp_transport *t, int64_t now_ms)
{
    epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, t->listen_fd, NULL);
    t->accept_paused_until_ms = now_ms + TCP_ACCEPT_PAUSE_MS;
    t->refused_connections++;
    log_limited(&t->refusal_log, LOG_WARN, "tcp", "ICE-TCP: out of file descriptors; not accepting for %d ms",
                TCP_ACCEPT_PAUSE_MS);
}

static void accept_all(tcp_transport *t, int64_t now_ms)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(t->listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accepting(t, now_ms);
            return;
        }
        if (!room_for_unclaimed(t, &peer)) {
            t->refused_connections++;
            log_limited(&t->refusal_log, LOG_WARN, "tcp", "ICE-TCP connection refused: too many unclaimed connections");
            close(fd);
            continue;
        }
        tcp_conn *c = calloc(1, sizeof *c);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        if (!c || epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(c);
            close(fd);
            continue;
        }
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        c->fd = fd;
        memcpy(&c->peer, &peer, peer_len);
        c->peer_len = peer_len;
        c->accepted_ms = now_ms;
        c->next = t->conns;
        t->conns = c;
        t->n_conns++;
    }
}

static void set_want_write(tcp_transport *t, tcp_conn *c, bool want)
{
    if (c->want_write == want)
        return;
    struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.fd = c->fd };
    if (epoll_ctl(t->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_write = want;
}

/* Writes queued bytes. Returns -1 when the connection is broken. */
static int flush(tcp_transport *t, tcp_conn *c)
{
    size_t done = 0;
    while (done < c->tx_len) {
        ssize_t n = send(c->fd, c->tx + done, c->tx_len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    memmove(c->tx, c->tx + done, c->tx_len - done);
    c->tx_len -= done;
    set_want_write(t, c, c->tx_len > 0);
    return 0;
}

int tcp_conn_send(tcp_transport *t, tcp_conn *c, const uint8_t *data, size_t len)
{
    if (len == 0 || len > FRAME_MAX || c->tx_len + 2 + len > TCP_MAX_QUEUED)
        return -1;
    if (c->tx_cap < c->tx_len + 2 + len) {
        size_t cap = c->tx_cap ? c->tx_cap : 16384;
        while (cap < c->tx_len + 2 + len)
            cap *= 2;
        uint8_t *grown = realloc(c->tx, cap);
        if (!grown)
            return -1;
        c->tx = grown;
        c->tx_cap = cap;
    }
    c->tx[c->tx_len] = (uint8_t)(len >> 8);
    c->tx[c->tx_len + 1] = (uint8_t)len;
    memcpy(c->tx + c->tx_len + 2, data, len);
    c->tx_len += 2 + len;
    /* A broken connection is noticed (and closed) by the next read. */
    if (!c->want_write)
        flush(t, c);
    return 0;
}

/* Reads what is there and hands out whole frames. Returns -1 on EOF,
 * error, or a frame longer than TCP_MAX_FRAME. */
static int receive(tcp_transport *t, tcp_conn *c, tcp_frame_fn on_frame, void *user)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->rx + c->rx_len, sizeof c->rx - c->rx_len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->rx_len += (size_t)n;
        size_t off = 0;
        while (c->rx_len - off >= 2) {
            size_t frame = ((size_t)c->rx[off] << 8) | c->rx[off + 1];
            if (frame > TCP_MAX_FRAME) {
                t->oversize_frames++;
                log_limited(&t->refusal_log, LOG_WARN, "tcp", "ICE-TCP connection closed: a %zu-byte frame", frame);
                return -1;
            }
            if (c->rx_len - off < 2 + frame)
                break;
            if (frame > 0)
                on_frame(user, c, c->rx + off + 2, frame);
            off += 2 + frame;
        }
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
}

bool tcp_transport_event(tcp_transport *t, int fd, uint32_t events, int64_t now_ms,
                         tcp_frame_fn on_frame, tcp_closed_fn on_closed, void *user)
{
    if (fd == t->listen_fd) {
        accept_all(t, now_ms);
        return true;
    }
    tcp_conn *c = t->conns;
    while (c && c->fd != fd)
        c = c->next;
    if (!c)
        return false;
    bool broken = (events & (EPOLLERR | EPOLLHUP)) != 0;
    if (!broken && (events & EPOLLOUT))
        broken = flush(t, c) < 0;
    if (!broken && (events & EPOLLIN))
        broken = receive(t, c, on_frame, user) < 0;
    if (broken)
        conn_free(t, c, on_closed, user);
    return true;
}

void tcp_transport_expire(tcp_transport *t, int64_t now_ms, tcp_closed_fn on_closed, void *user)
{
    if (t->accept_paused_until_ms && now_ms >= t->accept_paused_until_ms) {
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = t->listen_fd };
        if (epoll_ctl(t->epoll_fd, EPOLL_CTL_ADD, t->listen_fd, &ev) == 0)
            t->accept_paused_until_ms = 0;
    }
    for (tcp_conn *c = t->conns, *next; c; c = next) {
        next = c->next;
        if (!c->owner && now_ms - c->accepted_ms > TCP_UNCLAIMED_MS)
            conn_free(t, c, on_closed, user);
    }
}

void tcp_transport_disown(tcp_transport *t, const void *owner)
{
    for (tcp_conn *c = t->conns; c; c = c->next) {
        if (c->owner == owner) {
            c->owner = NULL;
            c->accepted_ms = INT64_MIN / 2;   /* due at the next expiry pass */
        }
    }
}
