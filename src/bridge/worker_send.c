/* A media worker's sending: the batch of outgoing datagrams (sendmmsg),
 * regrouped by receiver into UDP GSO messages where sizes allow, with the
 * source address each must leave from (IP_PKTINFO); single sends for what
 * cannot wait (DTLS, STUN); RTCP protected into the batch. */
#include "bridge/worker.h"
#include "bridge/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "core/log.h"

static void send_all(worker *w, struct mmsghdr *msgs, int count)
{
    int sent = 0;
    while (sent < count) {
        int n = sendmmsg(w->udp_fd, msgs + sent, (unsigned)(count - sent), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (msgs == w->gso_msgs && (errno == EIO || errno == EINVAL)) {
                log_warn("worker", "UDP GSO refused (%s): off", strerror(errno));
                w->gso = false;            /* the rest of this batch is lost once */
            }
            /* A full socket buffer or an unreachable peer: drop the batch
             * rather than stall the loop; RTP tolerates loss. */
            break;
        }
        sent += n;
    }
}

static bool same_destination(const worker *w, int a, int b)
{
    const struct sockaddr_in *x = (const struct sockaddr_in *)&w->out[a].addr;
    const struct sockaddr_in *y = (const struct sockaddr_in *)&w->out[b].addr;
    const struct msghdr *ha = &w->out_msgs[a].msg_hdr, *hb = &w->out_msgs[b].msg_hdr;
    if (x->sin_family != AF_INET || y->sin_family != AF_INET || x->sin_port != y->sin_port ||
        x->sin_addr.s_addr != y->sin_addr.s_addr || ha->msg_controllen != hb->msg_controllen)
        return false;
    return ha->msg_controllen == 0 ||
           memcmp(w->out[a].control.bytes, w->out[b].control.bytes, ha->msg_controllen) == 0;
}

/* Destinations are found again through a hash table with twice as many
 * buckets as a batch has datagrams (so never full): a comparison or two
 * per datagram, where a scan of the destinations seen so far made a batch
 * to many receivers cost quadratic time. */
#define DESTINATION_BUCKETS (2 * WORKER_OUT_BATCH)
_Static_assert((DESTINATION_BUCKETS & (DESTINATION_BUCKETS - 1)) == 0, "a power of two");

static unsigned destination_bucket(const worker *w, int i)
{
    const struct sockaddr_in *a = (const struct sockaddr_in *)&w->out[i].addr;
    uint32_t h = (a->sin_addr.s_addr ^ (uint32_t)a->sin_port << 16) * 2654435761u;
    return (h >> 16) & (DESTINATION_BUCKETS - 1);
}

/* The group (index into heads) of datagram i: an earlier one's with the
 * same destination, or -1 when i is the first to it. Only IPv4 datagrams
 * are ever grouped (same_destination), the others each stand alone. */
static int destination_group(const worker *w, int bucket_group[DESTINATION_BUCKETS], const int *heads,
                             int n_heads, int i)
{
    if (((const struct sockaddr_in *)&w->out[i].addr)->sin_family != AF_INET)
        return -1;
    unsigned b = destination_bucket(w, i);
    for (; bucket_group[b] >= 0; b = (b + 1) & (DESTINATION_BUCKETS - 1))
        if (same_destination(w, heads[bucket_group[b]], i))
            return bucket_group[b];
    bucket_group[b] = n_heads;   /* i heads the next group */
    return -1;
}

/* Regroups the queued datagrams by destination (order kept per destination)
 * and sends each run of equal-size datagrams, the last possibly shorter, as
 * one UDP_SEGMENT message: one pass through the stack instead of one per
 * datagram. */
static void flush_gso(worker *w)
{
    int order[WORKER_OUT_BATCH], next_of[WORKER_OUT_BATCH], heads[WORKER_OUT_BATCH], tails[WORKER_OUT_BATCH];
    int bucket_group[DESTINATION_BUCKETS];
    int n_heads = 0;
    memset(bucket_group, -1, sizeof bucket_group);
    for (int i = 0; i < w->out_count; i++) {
        next_of[i] = -1;
        int g = destination_group(w, bucket_group, heads, n_heads, i);
        if (g < 0) {
            g = n_heads++;
            heads[g] = tails[g] = i;
        } else {
            tails[g] = next_of[tails[g]] = i;
        }
    }
    int n = 0;
    for (int g = 0; g < n_heads; g++)
        for (int i = heads[g]; i >= 0; i = next_of[i])
            order[n++] = i;
    int m = 0, iov = 0;
    for (int k = 0; k < n;) {
        int first = order[k];
        size_t seg = w->out_iov[first].iov_len, total = 0;
        int segs = 0;
        struct iovec *v = &w->gso_iov[iov];
        while (k < n && segs < WORKER_GSO_MAX_SEGS) {
            int i = order[k];
            size_t len = w->out_iov[i].iov_len;
            if ((segs > 0 && !same_destination(w, first, i)) || len > seg || total + len > 65000)
                break;
            w->gso_iov[iov++] = w->out_iov[i];
            segs++;
            total += len;
            k++;
            if (len < seg)
                break;                     /* only the last segment may be shorter */
        }
        struct msghdr *h = &w->gso_msgs[m].msg_hdr;
        *h = w->out_msgs[first].msg_hdr;
        h->msg_iov = v;
        h->msg_iovlen = (size_t)segs;
        uint8_t *ctl = w->gso_control[m].bytes;
        size_t have = w->out_msgs[first].msg_hdr.msg_controllen;
        memcpy(ctl, w->out[first].control.bytes, have);
        if (segs > 1) {
            memset(ctl + have, 0, CMSG_SPACE(sizeof(uint16_t)));
            struct cmsghdr *c = (struct cmsghdr *)(void *)(ctl + have);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t size = (uint16_t)seg;
            memcpy(CMSG_DATA(c), &size, sizeof size);
            have += CMSG_SPACE(sizeof(uint16_t));
            w->gso_sends++;
            w->gso_datagrams += (uint64_t)segs;
        }
        h->msg_control = have ? ctl : NULL;
        h->msg_controllen = have;
        m++;
    }
    send_all(w, w->gso_msgs, m);
}

void worker_flush(worker *w)
{
    if (w->gso && w->out_count > 1)
        flush_gso(w);
    else if (w->out_count > 0)
        send_all(w, w->out_msgs, w->out_count);
    w->out_count = 0;
    if (w->tw_count == 0)
        return;
    int64_t sent_us = worker_now_us();
    for (int i = 0; i < w->tw_count; i++) {
        const worker_tw_sent *t = &w->tw_sent[i];
        bwe_on_sent(t->bwe, t->seq, t->bytes, sent_us, t->probe);
    }
    w->tw_count = 0;
}

void worker_note_tw_sent(worker *w, endpoint *ep, uint16_t seq, size_t bytes, bool probe)
{
    /* ICE-TCP writes at once; a UDP packet's note rides its batch slot, so
     * there are never more notes than slots. */
    if (ep->tcp || w->tw_count == WORKER_OUT_BATCH)
        bwe_on_sent(ep->bwe, seq, bytes, worker_now_us(), probe);
    else
        w->tw_sent[w->tw_count++] = (worker_tw_sent){ ep->bwe, (uint32_t)bytes, seq, probe };
}

worker_out *worker_out_reserve(worker *w)
{
    if (w->out_count == WORKER_OUT_BATCH)
        worker_flush(w);
    return &w->out[w->out_count];
}

/* Fills h's control buffer with the source address to send from. */
static void set_source(struct msghdr *h, void *control, size_t control_size, struct in_addr local)
{
    if (local.s_addr == htonl(INADDR_ANY)) {
        h->msg_control = NULL;
        h->msg_controllen = 0;
        return;
    }
    memset(control, 0, control_size);
    h->msg_control = control;
    h->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
    struct cmsghdr *c = CMSG_FIRSTHDR(h);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo info = { .ipi_spec_dst = local };
    memcpy(CMSG_DATA(c), &info, sizeof info);
}

void worker_out_commit(worker *w, size_t len, const struct sockaddr_storage *to, socklen_t to_len,
                       struct in_addr local)
{
    int i = w->out_count++;
    worker_out *out = &w->out[i];
    memcpy(&out->addr, to, to_len);
    w->out_iov[i].iov_len = len;
    struct msghdr *h = &w->out_msgs[i].msg_hdr;
    h->msg_name = &out->addr;
    h->msg_namelen = to_len;
    h->msg_iov = &w->out_iov[i];
    h->msg_iovlen = 1;
    h->msg_flags = 0;
    set_source(h, out->control.bytes, sizeof out->control.bytes, local);
}

void worker_out_commit_to(worker *w, endpoint *ep, size_t len)
{
    if (ep->tcp)
        tcp_conn_send(&w->tcp, ep->tcp, w->out[w->out_count].buf, len);
    else
        worker_out_commit(w, len, &ep->addr, ep->addr_len, ep->local_ip);
}

void worker_send_to_endpoint(worker *w, endpoint *ep, const uint8_t *buf, size_t len)
{
    if (ep->tcp)
        tcp_conn_send(&w->tcp, ep->tcp, buf, len);
    else if (ep->has_addr)
        worker_send_now(w, buf, len, (struct sockaddr *)&ep->addr, ep->addr_len, ep->local_ip);
}

void worker_send_now(worker *w, const uint8_t *buf, size_t len, const struct sockaddr *to, socklen_t to_len,
                     struct in_addr local)
{
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } control;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr h = { .msg_name = (void *)to, .msg_namelen = to_len, .msg_iov = &iov, .msg_iovlen = 1 };
    set_source(&h, control.bytes, sizeof control.bytes, local);
    if (sendmsg(w->udp_fd, &h, 0) < 0)
        log_debug("worker", "sendmsg: %s", strerror(errno));
}

void worker_send_rtcp(worker *w, endpoint *ep, const uint8_t *rtcp, size_t len)
{
    /* Feedback to a participant on another bridge goes over its relay. */
    if (ep->kind == ENDPOINT_PROXY && !(ep = ep->via))
        return;
    if (!ep->srtp_ready || !ep->has_addr || len + STOA_SRTP_MAX_TRAILER > WORKER_BUF)
        return;
    worker_out *out = worker_out_reserve(w);
    memcpy(out->buf, rtcp, len);
    if (stoa_srtp_protect_rtcp(&ep->srtp, out->buf, &len, WORKER_BUF) < 0)
        return;
    if (ep->kind == ENDPOINT_RELAY) {
        if ((len = relay_frame(ep, out->buf, len, WORKER_BUF)) == 0)
            return;
        if (ep->internal)
            w->counters.worker_relay_bytes_out += len;
        else
            w->counters.relay_bytes_out += len;
    }
    worker_out_commit_to(w, ep, len);
}
