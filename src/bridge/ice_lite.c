/* ICE-lite (RFC 8445) for a media worker: answering connectivity checks,
 * learning and choosing the paths a participant's media takes. */
#include "bridge/ice_lite.h"

#include <string.h>

#include "webrtc/stun.h"

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    addr_key ka, kb;
    if (addr_key_from(&ka, (const struct sockaddr *)a) < 0 || addr_key_from(&kb, b) < 0)
        return false;
    return ka.family == kb.family && ka.port == kb.port && memcmp(ka.ip, kb.ip, 16) == 0;
}

/* ICE usernames are "<our ufrag>:<their ufrag>" on requests we receive. */
static endpoint *find_by_ufrag(worker *w, const uint8_t *username, size_t len)
{
    const uint8_t *colon = memchr(username, ':', len);
    return worker_endpoint_by_ufrag(w, username, colon ? (size_t)(colon - username) : len);
}

/* Where a packet came from: a UDP address (and the local address it
 * reached), or an ICE-TCP connection. Replies go back the same way. */
static void reply_to(worker *w, const ice_origin *o, const uint8_t *buf, size_t len)
{
    if (o->tcp)
        tcp_conn_send(&w->tcp, o->tcp, buf, len);
    else
        worker_send_now(w, buf, len, o->addr, o->addr_len, o->local);
}

uint64_t ice_pair_priority(uint32_t g, uint32_t d)
{
    uint64_t lo = g < d ? g : d, hi = g < d ? d : g;
    return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

bool ice_nomination_moves(uint64_t selected, int64_t selected_check_ms, uint64_t candidate, int64_t now)
{
    return candidate >= selected || now - selected_check_ms > ICE_SELECTED_STALE_MS;
}

/* Whether o is the path ep's media goes on. */
static bool on_selected_path(const endpoint *ep, const ice_origin *o)
{
    if (!ep->has_addr)
        return false;
    return o->tcp ? ep->tcp == o->tcp : !ep->tcp && same_addr(&ep->addr, o->addr);
}

/* Makes where o came from the path we send ep's media on. */
static void select_path(endpoint *ep, const ice_origin *o, uint64_t priority)
{
    memcpy(&ep->addr, o->addr, o->addr_len);
    ep->addr_len = o->addr_len;
    ep->local_ip = o->local;
    ep->tcp = o->tcp;
    ep->has_addr = true;
    ep->path_priority = priority;
}

/* A check on o, nominating (priority > 0) or not: whether o carries the
 * media from now on. */
static bool should_select(const endpoint *ep, const ice_origin *o, uint64_t nominated, int64_t now)
{
    if (!ep->has_addr)
        return true;
    if (!nominated)
        return false;
    return on_selected_path(ep, o) || ice_nomination_moves(ep->path_priority, ep->path_check_ms, nominated, now);
}

/* Records an address that passed a check. At most ENDPOINT_MAX_PATHS UDP
 * paths are kept (each is a key in the address map); a nominated new address
 * evicts the oldest one that is not where we send. An ICE-TCP connection is
 * its own path: it knows its endpoint. */
static void remember_path(worker *w, endpoint *ep, const ice_origin *o, uint64_t nominated, int64_t now)
{
    if (o->tcp) {
        /* ice_handle_stun refused checks of a second endpoint on it. */
        o->tcp->owner = ep;
        if (should_select(ep, o, nominated, now))
            select_path(ep, o, nominated);
        return;
    }
    bool known = false;
    for (int i = 0; i < ep->n_paths; i++)
        known |= same_addr(&ep->paths[i], o->addr);
    if (!known) {
        if (ep->n_paths == ENDPOINT_MAX_PATHS) {
            if (!nominated)
                return;
            bool first_in_use = ep->has_addr && !ep->tcp && same_addr(&ep->addr, (struct sockaddr *)&ep->paths[0]);
            int victim = first_in_use ? 1 : 0;
            struct sockaddr *old = (struct sockaddr *)&ep->paths[victim];
            if (addr_map_get(&w->by_addr, old) == ep)
                addr_map_remove(&w->by_addr, old);
            memmove(&ep->paths[victim], &ep->paths[victim + 1],
                    sizeof ep->paths[0] * (size_t)(ep->n_paths - victim - 1));
            ep->n_paths--;
        }
        if (addr_map_put(&w->by_addr, o->addr, ep) < 0)
            return;
        memcpy(&ep->paths[ep->n_paths++], o->addr, o->addr_len);
    }
    if (should_select(ep, o, nominated, now))
        select_path(ep, o, nominated);
}

void ice_handle_stun(worker *w, const uint8_t *buf, size_t len, const ice_origin *o, int64_t now)
{
    stun_msg msg;
    if (stun_parse(buf, len, &msg) < 0) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    if (msg.type != STUN_BINDING_REQUEST) {
        return;   /* indications and responses: an ICE-lite agent sends no requests */
    }
    uint8_t reply[256];
    size_t reply_len;
    endpoint *ep = msg.username ? find_by_ufrag(w, msg.username, msg.username_len) : NULL;
    if (!ep) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN_UFRAG]++;
        return;
    }
    /* An ICE-TCP connection is one candidate pair of one ICE session: once
     * a check claimed it for an endpoint, another endpoint's checks on it
     * are refused (else two endpoints would send on it, and the first
     * would keep a pointer to it after it closes). */
    if (o->tcp && o->tcp->owner && o->tcp->owner != ep) {
        w->counters.dropped[MEDIA_DROP_FOREIGN_CONNECTION]++;
        return;
    }
    if (!stun_check_integrity(buf, len, &msg, ep->local_pwd, strlen(ep->local_pwd))) {
        w->counters.dropped[MEDIA_DROP_AUTH]++;
        reply_len = stun_build_binding_error(reply, sizeof reply, msg.txid, 401, "Unauthorized", NULL, 0);
        if (reply_len)
            reply_to(w, o, reply, reply_len);
        return;
    }
    /* The pair's priority from the PRIORITY the check carries (the
     * candidate the browser would learn from it) and our candidate the
     * check reached: which address is not known here, the first assumed. */
    uint32_t ours = ICE_CANDIDATE_PRIORITY(o->tcp ? ICE_TYPE_PREF_TCP : ICE_TYPE_PREF_UDP, 0);
    uint64_t nominated = msg.use_candidate ? ice_pair_priority(msg.has_priority ? msg.priority : 0, ours) : 0;
    remember_path(w, ep, o, nominated, now);
    if (on_selected_path(ep, o))
        ep->path_check_ms = now;
    ep->last_check_ms = now;
    if (ep->state == ENDPOINT_NEW && !worker_begin_dtls(w, ep))
        return;
    reply_len = stun_build_binding_success(reply, sizeof reply, msg.txid, o->addr, ep->local_pwd,
                                           strlen(ep->local_pwd));
    if (reply_len)
        reply_to(w, o, reply, reply_len);
}

