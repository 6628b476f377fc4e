/* A media worker thread: epoll loop over one UDP socket and a command queue,
 * demultiplexing (RFC 7983), ICE-lite checks, DTLS, SRTP; its timers are in
 * worker_tick.c. */
#include "bridge/worker.h"
#include "bridge/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bridge/bwe.h"
#include "bridge/ice_lite.h"
#include "bridge/probe.h"
#include "bridge/simulcast.h"
#include "core/log.h"
#include "webrtc/rtx.h"
#include "webrtc/sdp.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"

_Static_assert(TCP_MAX_FRAME <= WORKER_MTU, "an ICE-TCP frame must fit a send slot");


int64_t worker_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t worker_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static socklen_t sockaddr_len(const struct sockaddr *sa)
{
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int worker_init(worker *w, int index, uint16_t port, dtls_ctx *dtls, queue *events,
                void (*wake_control)(void *), void *wake_user)
{
    memset(w, 0, sizeof *w);
    w->index = index;
    w->port = port;
    w->dtls = dtls;
    w->events = events;
    w->wake_control = wake_control;
    w->wake_user = wake_user;
    w->udp_fd = w->epoll_fd = -1;
    w->tcp.listen_fd = -1;
    addr_map_init(&w->by_addr);
    if (queue_init(&w->commands, true) < 0)
        return -1;
    /* IPv4 only in this release: candidates are IPv4 addresses. */
    w->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->udp_fd < 0)
        return -1;
    int size = 4 * 1024 * 1024;
    setsockopt(w->udp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(w->udp_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    int on = 1;
    setsockopt(w->udp_fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    /* Kernel receive times, for the forwarding delay (forward_delay.h). */
    setsockopt(w->udp_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (bind(w->udp_fd, (struct sockaddr *)&any, sizeof any) < 0) {
        log_error("worker", "cannot bind UDP port %u: %s", port, strerror(errno));
        return -1;
    }
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = w->udp_fd };
    if (w->epoll_fd < 0 || epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->udp_fd, &ev) < 0)
        return -1;
    ev.data.fd = w->commands.event_fd;
    if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->commands.event_fd, &ev) < 0)
        return -1;
    if (tcp_transport_init(&w->tcp, port, w->epoll_fd) < 0)
        return -1;
    for (int i = 0; i < WORKER_BATCH; i++) {
        w->in_iov[i].iov_base = w->in_bufs[i];
        w->in_iov[i].iov_len = WORKER_BUF;
    }
    for (int i = 0; i < WORKER_OUT_BATCH; i++)
        w->out_iov[i].iov_base = w->out[i].buf;
    const char *gso = getenv("STOA_GSO");
    w->gso = !(gso && strcmp(gso, "0") == 0);
    return 0;
}

/* ---- endpoints and conferences ---- */

static conference *find_conference(worker *w, const char *name)
{
    for (conference *c = w->conferences; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static endpoint *find_endpoint(worker *w, const char *conf_name, const char *id)
{
    conference *c = find_conference(w, conf_name);
    for (endpoint *ep = c ? c->endpoints : NULL; ep; ep = ep->next)
        if (strcmp(ep->id, id) == 0)
            return ep;
    return NULL;
}

static unsigned ufrag_bucket(const uint8_t *ufrag, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ ufrag[i]) * 16777619u;
    return h % WORKER_UFRAG_BUCKETS;
}

endpoint *worker_endpoint_by_ufrag(worker *w, const uint8_t *ufrag, size_t len)
{
    for (endpoint *ep = w->by_ufrag[ufrag_bucket(ufrag, len)]; ep; ep = ep->ufrag_next)
        if (strlen(ep->local_ufrag) == len && memcmp(ep->local_ufrag, ufrag, len) == 0)
            return ep->state == ENDPOINT_DEAD ? NULL : ep;
    return NULL;
}

static void index_ufrag(worker *w, endpoint *ep)
{
    endpoint **head = &w->by_ufrag[ufrag_bucket((const uint8_t *)ep->local_ufrag, strlen(ep->local_ufrag))];
    ep->ufrag_next = *head;
    *head = ep;
}

static void unindex_ufrag(worker *w, endpoint *ep)
{
    endpoint **p = &w->by_ufrag[ufrag_bucket((const uint8_t *)ep->local_ufrag, strlen(ep->local_ufrag))];
    while (*p && *p != ep)
        p = &(*p)->ufrag_next;
    if (*p)
        *p = ep->ufrag_next;
}

/* Unlinks ep from its conference (freeing an emptied conference) and from
 * the address map, then frees it. */
static void remove_endpoint(worker *w, endpoint *ep)
{
    worker_flush(w);   /* the batch may name ep's estimator */
    conference *c = ep->conf;
    if (ep->kind == ENDPOINT_RELAY) {
        /* Its proxies go with it: their media has no way in any more. */
        relay_unregister(w, ep);
        c->n_relays--;
        for (endpoint *p = c->endpoints, *next; p; p = next) {
            next = p->next;
            if (p->kind == ENDPOINT_PROXY && p->via == ep) {
                p->via = NULL;
                remove_endpoint(w, p);
            }
        }
    }
    for (endpoint **p = &c->endpoints; *p; p = &(*p)->next) {
        if (*p == ep) {
            *p = ep->next;
            break;
        }
    }
    unindex_ufrag(w, ep);
    for (int i = 0; i < ep->n_paths; i++)
        if (addr_map_get(&w->by_addr, (struct sockaddr *)&ep->paths[i]) == ep)
            addr_map_remove(&w->by_addr, (struct sockaddr *)&ep->paths[i]);
    if (ep->dtls && ep->dtls_done)
        dtls_conn_close(ep->dtls);
    tcp_transport_disown(&w->tcp, ep);
    speaker_remove(c->speakers, endpoint_speaker_key(ep));
    c->forwarding_dirty = true;
    endpoint *via = ep->kind == ENDPOINT_PROXY ? ep->via : NULL;
    endpoint_free(ep);
    if (via)
        relay_index_rebuild(via);
    if (c->endpoints)
        return;
    for (conference **p = &w->conferences; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            conference_free(c);
            return;
        }
    }
}

static void emit_event_with(worker *w, enum worker_event_type type, endpoint *ep, const char *reason,
                            char (*forwarded)[ENDPOINT_ID_MAX], int n_forwarded, int n_bandwidth)
{
    worker_event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        free(forwarded);
        return;
    }
    ev->forwarded = forwarded;
    ev->n_forwarded = n_forwarded;
    ev->n_bandwidth = n_bandwidth;
    ev->type = type;
    ev->worker = w->index;
    snprintf(ev->conference, sizeof ev->conference, "%s", ep->conf->name);
    snprintf(ev->endpoint, sizeof ev->endpoint, "%s", ep->id);
    ev->serial = ep->serial;
    ev->reason = reason;
    if (queue_push(w->events, ev) < 0) {
        free(ev->forwarded);
        free(ev);
        return;
    }
    w->wake_control(w->wake_user);
}

void worker_emit_event(worker *w, enum worker_event_type type, endpoint *ep, const char *reason)
{
    emit_event_with(w, type, ep, reason, NULL, 0, 0);
}

void worker_expire_endpoint(worker *w, endpoint *ep, const char *reason)
{
    log_info("worker", "endpoint %s/%s expired: %s", ep->conf->name, ep->id, reason);
    worker_emit_event(w, WORKER_EVENT_EXPIRED, ep, reason);
    remove_endpoint(w, ep);
}

/* Media may flow once DTLS is done and the certificate matches the answer's
 * fingerprint; whichever of the two comes last calls this. Returns false
 * when the endpoint was expired (and freed) instead. */
static bool try_connect(worker *w, endpoint *ep, int64_t now)
{
    if (ep->state == ENDPOINT_CONNECTED || !ep->dtls_done || !ep->configured)
        return true;
    uint8_t fp[32];
    if (dtls_conn_peer_fingerprint(ep->dtls, fp) < 0 || memcmp(fp, ep->remote_fingerprint, 32) != 0) {
        worker_expire_endpoint(w, ep, "fingerprint-mismatch");
        return false;
    }
    stoa_srtp_keys keys;
    if (dtls_conn_srtp_keys(ep->dtls, &keys) < 0 || stoa_srtp_init(&ep->srtp, &keys) < 0) {
        worker_expire_endpoint(w, ep, "dtls-failed");
        return false;
    }
    ep->srtp_ready = true;
    ep->state = ENDPOINT_CONNECTED;
    ep->next_report_ms = now + WORKER_REPORT_INTERVAL_MS / 2;
    log_info("worker", "endpoint %s/%s connected (SRTP profile %d)", ep->conf->name, ep->id, keys.profile);
    worker_emit_event(w, WORKER_EVENT_CONNECTED, ep, NULL);
    /* A new receiver can decode nothing until the next keyframe. */
    conference_request_keyframes(ep->conf, ep, now);
    return true;
}

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    endpoint *ep = user;
    worker_send_to_endpoint(ep->worker, ep, data, len);
}

bool worker_begin_dtls(worker *w, endpoint *ep)
{
    ep->state = ENDPOINT_CHECKED;
    ep->dtls = dtls_conn_new(w->dtls, true, dtls_send, ep);
    if (!ep->dtls) {
        worker_expire_endpoint(w, ep, "dtls-failed");
        return false;
    }
    return true;
}

static void apply_configure(worker *w, endpoint *ep, const worker_cmd *cmd, int64_t now)
{
    snprintf(ep->remote_ufrag, sizeof ep->remote_ufrag, "%s", cmd->remote_ufrag);
    snprintf(ep->remote_pwd, sizeof ep->remote_pwd, "%s", cmd->remote_pwd);
    memcpy(ep->remote_fingerprint, cmd->remote_fingerprint, 32);
    ep->configured = true;
    configure_sources(w, ep, cmd);
    if (!ep->bwe)
        ep->bwe = bwe_new(WORKER_BWE_START_BPS, WORKER_BWE_MIN_BPS, WORKER_BWE_MAX_BPS);
    /* After a renegotiation the endpoint may receive sources it did not
     * before; their senders must start with a keyframe for it. (An endpoint
     * that connects just now gets its keyframes from try_connect.) */
    if (ep->state == ENDPOINT_CONNECTED)
        conference_request_keyframes(ep->conf, ep, now);
    else
        try_connect(w, ep, now);
}

static void apply_pause(endpoint *ep, const worker_cmd *cmd, int64_t now)
{
    for (int i = 0; i < cmd->n_sources; i++) {
        source *src = endpoint_source(ep, cmd->ssrcs[i]);
        if (!src || src->paused == cmd->paused)
            continue;
        src->paused = cmd->paused;
        for (int k = 0; k < src->n_layers; k++)
            ep->sources[src->layers[k]].paused = cmd->paused;
        if (src->n_layers > 0)
            continue;   /* receivers get the layer's key frame when switched to it again */
        /* Receivers dropped this stream's frames meanwhile: they need a
         * keyframe before they can decode again. */
        if (!src->paused && src->video && ep->state == ENDPOINT_CONNECTED)
            conference_request_source_keyframe(ep->conf, ep, src, now);
    }
}

/* Tells the control thread which cameras ep now receives: its Last-N set
 * (every other endpoint when it has no limit) less those held back for
 * lack of bandwidth. */
void worker_report_forwarded(worker *w, endpoint *ep)
{
    char (*ids)[ENDPOINT_ID_MAX] = calloc(ENDPOINT_MAX_FORWARDED, sizeof *ids);
    int n = 0;
    if (!ids)
        return;
    for (endpoint *o = ep->conf->endpoints; o && n < ENDPOINT_MAX_FORWARDED; o = o->next)
        if (o != ep && o->kind != ENDPOINT_RELAY && endpoint_receives_camera(ep, o))
            memcpy(ids[n++], o->id, ENDPOINT_ID_MAX);
    /* Then those in its Last-N set held back for its bandwidth: the app
     * says which reason keeps a camera paused. */
    int forwarded = n;
    for (endpoint *o = ep->conf->endpoints; o && n < ENDPOINT_MAX_FORWARDED; o = o->next)
        if (o != ep && o->kind != ENDPOINT_RELAY && endpoint_in_last_n(ep, o) && !endpoint_receives_camera(ep, o))
            memcpy(ids[n++], o->id, ENDPOINT_ID_MAX);
    emit_event_with(w, WORKER_EVENT_FORWARDED, ep, NULL, ids, forwarded, n - forwarded);
}

static void apply_constraints(worker *w, endpoint *ep, const worker_cmd *cmd, int64_t now)
{
    bool was_limited = ep->last_n >= 0;
    ep->last_n = cmd->last_n;
    ep->n_selected = cmd->n_selected;
    memcpy(ep->selected, cmd->selected, sizeof ep->selected);
    ep->n_view_heights = cmd->n_view_heights;
    memcpy(ep->view_heights, cmd->view_heights, sizeof ep->view_heights);
    ep->next_allocation_ms = now;
    if (!was_limited)
        ep->n_forwarded = 0;
    bool changed = ep->last_n >= 0 && conference_update_forwarded(ep->conf, ep, now);
    if (changed || was_limited != (ep->last_n >= 0))
        worker_report_forwarded(w, ep);
    if (ep->last_n < 0 && was_limited)
        conference_request_keyframes(ep->conf, ep, now);   /* everything flows again */
}

static void drop_empty_conference(worker *w, conference *c)
{
    for (conference **p = &w->conferences; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            conference_free(c);
            return;
        }
    }
}

/* A relay joins the worker's channel table; a proxy finds its relay (by
 * id, in the same conference) and speaks under the relay's RTCP SSRC.
 * False when that cannot be done. */
static bool adopt_relay_endpoint(worker *w, conference *c, endpoint *ep)
{
    if (ep->kind == ENDPOINT_RELAY)
        return relay_register(w, ep) == 0;
    if (ep->kind != ENDPOINT_PROXY)
        return true;
    for (endpoint *r = c->endpoints; r; r = r->next) {
        if (r->kind == ENDPOINT_RELAY && strcmp(r->id, ep->via_id) == 0) {
            ep->via = r;
            ep->bridge_ssrc = r->bridge_ssrc;
            return true;
        }
    }
    return false;
}

static void handle_command(worker *w, worker_cmd *cmd, int64_t now)
{
    if (cmd->type == WORKER_ADD_ENDPOINT) {
        conference *c = find_conference(w, cmd->conference);
        if (!c) {
            c = conference_new(cmd->conference, w);
            if (!c) {
                endpoint_free(cmd->ep);
                return;
            }
            c->next = w->conferences;
            w->conferences = c;
        }
        endpoint *ep = cmd->ep;
        if (!adopt_relay_endpoint(w, c, ep)) {
            log_warn("worker", "%s/%s: %s refused (no relay %s, or too many relays)", c->name, ep->id,
                     ep->kind == ENDPOINT_PROXY ? "proxy" : "relay", ep->via_id);
            endpoint_free(ep);
            if (!c->endpoints)
                drop_empty_conference(w, c);
            return;
        }
        if (ep->kind != ENDPOINT_RELAY)
            speaker_add(c->speakers, endpoint_speaker_key(ep));
        else
            c->n_relays++;
        c->forwarding_dirty = true;
        ep->worker = w;
        ep->conf = c;
        ep->created_ms = ep->last_check_ms = now;
        ep->next = c->endpoints;
        c->endpoints = ep;
        if (ep->kind == ENDPOINT_PARTICIPANT)
            index_ufrag(w, ep);
        return;
    }
    endpoint *ep = find_endpoint(w, cmd->conference, cmd->endpoint);
    if (!ep)
        return;   /* already expired by the worker; the control side was told */
    if (cmd->type == WORKER_CONFIGURE && ep->kind == ENDPOINT_PROXY) {
        configure_sources(w, ep, cmd);
        relay_index_rebuild(ep->via);
        ep->conf->forwarding_dirty = true;
    } else if (cmd->type == WORKER_CONFIGURE && ep->kind == ENDPOINT_PARTICIPANT)
        apply_configure(w, ep, cmd, now);
    else if (cmd->type == WORKER_RELAY_PEER && ep->kind == ENDPOINT_RELAY) {
        memcpy(&ep->addr, &cmd->peer_addr, sizeof ep->addr);
        ep->addr_len = cmd->peer_addr_len;
        ep->peer_channel = cmd->peer_channel;
        ep->has_addr = true;
        ep->next_subscription_ms = ep->next_layer_report_ms = now;
        log_info("worker", "relay %s/%s: peer known, channel %u", ep->conf->name, ep->id, cmd->peer_channel);
    } else if (cmd->type == WORKER_CONFIGURE || cmd->type == WORKER_RELAY_PEER)
        return;
    else if (cmd->type == WORKER_PAUSE)
        apply_pause(ep, cmd, now);
    else if (cmd->type == WORKER_CONSTRAINTS)
        apply_constraints(w, ep, cmd, now);
    else
        remove_endpoint(w, ep);
}

static void apply_queued_commands(worker *w)
{
    int64_t now = worker_now_ms();
    worker_cmd *cmd;
    while ((cmd = queue_pop(&w->commands)) != NULL) {
        handle_command(w, cmd, now);
        free(cmd);
    }
}

void worker_drain_commands(worker *w)
{
    queue_clear_event(&w->commands);
    apply_queued_commands(w);
}

/* ---- receiving ---- */

static void handle_dtls(worker *w, endpoint *ep, const uint8_t *buf, size_t len, int64_t now)
{
    if (!ep->dtls)
        return;
    enum dtls_state st = dtls_conn_input(ep->dtls, buf, len);
    if (st == DTLS_CONNECTED && !ep->dtls_done) {
        ep->dtls_done = true;
        (void)try_connect(w, ep, now);
    } else if (st == DTLS_FAILED) {
        worker_expire_endpoint(w, ep, "dtls-failed");
    } else if (st == DTLS_CLOSED) {
        worker_expire_endpoint(w, ep, "dtls-closed");
    }
}

void worker_handle_datagram(worker *w, uint8_t *buf, size_t len, const struct ice_origin *o, int64_t now)
{
    w->counters.rx_datagrams++;
    w->counters.rx_bytes += len;
    if (len == 0)
        return;
    /* The one bound every path from a socket passes: whatever is forwarded
     * is copied into a WORKER_BUF send slot with room for the SRTP trailer. */
    if (len > WORKER_MTU) {
        w->oversize++;
        return;
    }
    uint8_t first = buf[0];
    if (first == RELAY_MARK) {
        relay_handle_datagram(w, buf, len, now);
        return;
    }
    if (first < 4) {
        ice_handle_stun(w, buf, len, o, now);
        return;
    }
    endpoint *ep = o->tcp ? o->tcp->owner : addr_map_get(&w->by_addr, o->addr);
    if (!ep) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
    } else if (first >= 20 && first < 64) {
        handle_dtls(w, ep, buf, len, now);
    } else if (first >= 128 && first < 192) {
        worker_handle_srtp(w, ep, buf, len, now);
    } else {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
    }
}

/* The local address a datagram was sent to (IP_PKTINFO), or INADDR_ANY,
 * and when the kernel received it (SO_TIMESTAMPNS, 0 when absent). */
static struct in_addr destination_of(struct msghdr *h, int64_t *rx_ns)
{
    struct in_addr local = { .s_addr = htonl(INADDR_ANY) };
    *rx_ns = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            local = info.ipi_addr;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            *rx_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
    }
    return local;
}

/* Counts the batch's forwarded packets into the delay histogram: one clock
 * read for the whole batch, after its sends. */
static void count_forward_delays(worker *w, int n)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    for (int i = 0; i < n; i++) {
        if (!w->in_forwarded[i] || w->in_rx_ns[i] == 0)
            continue;
        int64_t us = (now_ns - w->in_rx_ns[i]) / 1000;
        if (us < 0)
            us = 0;
        w->counters.forward_delay[forward_delay_bucket(us)]++;
        w->counters.forward_delay_us_sum += (uint64_t)us;
    }
}

static void receive_batch(worker *w)
{
    /* A bounded number of rounds keeps commands and timers served under load. */
    for (int round = 0; round < 16; round++) {
        /* An endpoint allocated meanwhile may be checked in this round: a
         * browser checks as soon as it has the offer. Commands are applied
         * here, between rounds, never inside a packet's handling. */
        if (round > 0 && queue_take_event(&w->commands))
            apply_queued_commands(w);
        for (int i = 0; i < WORKER_BATCH; i++) {
            struct msghdr *h = &w->in_msgs[i].msg_hdr;
            memset(h, 0, sizeof *h);
            h->msg_name = &w->in_addrs[i];
            h->msg_namelen = sizeof w->in_addrs[i];
            h->msg_iov = &w->in_iov[i];
            h->msg_iovlen = 1;
            h->msg_control = w->in_control[i].bytes;
            h->msg_controllen = sizeof w->in_control[i].bytes;
        }
        int n = recvmmsg(w->udp_fd, w->in_msgs, WORKER_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        w->batch_us = worker_now_us();
        int64_t now = w->batch_us / 1000;
        for (int i = 0; i < n; i++) {
            struct sockaddr *from = (struct sockaddr *)&w->in_addrs[i];
            ice_origin o = { from, sockaddr_len(from), destination_of(&w->in_msgs[i].msg_hdr, &w->in_rx_ns[i]), NULL };
            uint64_t before = w->counters.rtp_forwarded;
            /* A datagram longer than the buffer arrives cut short: as long as one over the MTU. */
            size_t len = (w->in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? WORKER_BUF : w->in_msgs[i].msg_len;
            worker_handle_datagram(w, w->in_bufs[i], len, &o, now);
            w->in_forwarded[i] = w->counters.rtp_forwarded != before;
        }
        worker_flush(w);
        count_forward_delays(w, n);
        if (n < WORKER_BATCH)
            return;
    }
}

static void tcp_frame(void *user, tcp_conn *c, uint8_t *frame, size_t len)
{
    worker *w = user;
    struct sockaddr_in local;
    socklen_t local_len = sizeof local;
    ice_origin o = { (struct sockaddr *)&c->peer, c->peer_len, { htonl(INADDR_ANY) }, c };
    if (getsockname(c->fd, (struct sockaddr *)&local, &local_len) == 0 && local.sin_family == AF_INET)
        o.local = local.sin_addr;
    w->batch_us = worker_now_us();
    worker_handle_datagram(w, frame, len, &o, w->batch_us / 1000);
}

void worker_tcp_closed(void *user, tcp_conn *c)
{
    (void)user;
    endpoint *ep = c->owner;
    if (ep && ep->tcp == c) {
        /* Its nominated path is gone: send nothing until another is nominated. */
        ep->tcp = NULL;
        ep->has_addr = false;
    }
}

void worker_refuse(worker *w, enum media_drop reason, const endpoint *ep, const char *what)
{
    w->counters.dropped[reason]++;
    log_limited(&w->drop_log[reason], LOG_WARN, "worker", "%s/%s: %s (%s)", ep ? ep->conf->name : "-",
                ep ? ep->id : "-", what, media_drop_names[reason]);
}

const char *const media_drop_names[MEDIA_DROP_REASONS] = {
    [MEDIA_DROP_MALFORMED] = "malformed",
    [MEDIA_DROP_UNKNOWN] = "unknown",
    [MEDIA_DROP_AUTH] = "auth",
    [MEDIA_DROP_OVERSIZE] = "oversize",
    [MEDIA_DROP_FOREIGN_SSRC] = "foreign-ssrc",
    [MEDIA_DROP_FOREIGN_CONNECTION] = "foreign-connection",
    [MEDIA_DROP_SSRC_BUDGET] = "ssrc-budget",
    [MEDIA_DROP_RTX_BUDGET] = "rtx-budget",
    [MEDIA_DROP_KEYFRAME_BUDGET] = "keyframe-budget",
    [MEDIA_DROP_UNKNOWN_UFRAG] = "unknown-ufrag",
    [MEDIA_DROP_TCP_REFUSED] = "tcp-refused",
};

static void *worker_main(void *arg)
{
    worker *w = arg;
    int64_t next_tick = worker_now_ms() + WORKER_TICK_MS;
    while (!w->stop) {
        int64_t now = worker_now_ms();
        int timeout = next_tick > now ? (int)(next_tick - now) : 0;
        struct epoll_event events[16];
        int n = epoll_wait(w->epoll_fd, events, 16, timeout);
        /* Commands first: a check may name an endpoint that is queued. */
        for (int i = 0; i < n; i++)
            if (events[i].data.fd == w->commands.event_fd) {
                worker_drain_commands(w);
                events[i].data.fd = -1;
            }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == w->udp_fd)
                receive_batch(w);
            else if (fd >= 0)
                tcp_transport_event(&w->tcp, fd, events[i].events, worker_now_ms(), tcp_frame, worker_tcp_closed, w);
        }
        now = worker_now_ms();
        if (now >= next_tick) {
            worker_tick(w, now);
            next_tick = now + WORKER_TICK_MS;
        }
        worker_flush(w);
    }
    return NULL;
}

int worker_start(worker *w)
{
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = true;
    return 0;
}

void worker_stop(worker *w)
{
    if (w->started) {
        w->stop = true;
        /* Any command wakes the loop; an empty one is not needed: poke the fd. */
        uint64_t one = 1;
        ssize_t rc = write(w->commands.event_fd, &one, sizeof one);
        (void)rc;
        pthread_join(w->thread, NULL);
        w->started = false;
        worker_publish_counters(w);
        log_info("worker", "UDP GSO %s: %llu sends carried %llu datagrams", w->gso ? "on" : "off",
                 (unsigned long long)w->gso_sends, (unsigned long long)w->gso_datagrams);
    }
    tcp_transport_close(&w->tcp, worker_tcp_closed, w);
    while (w->conferences)
        remove_endpoint(w, w->conferences->endpoints);
    worker_flush(w);
    worker_cmd *cmd;
    while ((cmd = queue_pop(&w->commands)) != NULL) {
        if (cmd->type == WORKER_ADD_ENDPOINT)
            endpoint_free(cmd->ep);
        free(cmd);
    }
    queue_destroy(&w->commands, NULL);
    addr_map_free(&w->by_addr);
    if (w->udp_fd >= 0)
        close(w->udp_fd);
    if (w->epoll_fd >= 0)
        close(w->epoll_fd);
    w->udp_fd = w->epoll_fd = -1;
}
