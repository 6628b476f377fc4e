/* One conference over several media workers of this bridge (docs/
 * architecture.md, "A conference over workers"). Past cfg.worker_participants
 * participants on its workers, a conference's newcomers go to another
 * worker, the least busy; each worker's part ("shard") links to every other
 * by an internal relay (a relay endpoint as between bridges, over loopback
 * UDP with keys made here), and every participant that sends has a proxy in
 * each other part. The first part keeps the relays to other bridges; what
 * arrives over them is passed on to the other parts (relay_passes_on). The
 * focus sees one conference: internal relays and proxies are not in the
 * registry's endpoint list, and their ids start with '~', which the focus
 * may not use. Control thread only. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control_internal.h"
#include "bridge/relay.h"
#include "core/log.h"
#include "core/random.h"

static void internal_relay_id(int peer_worker, char out[ENDPOINT_ID_MAX])
{
    snprintf(out, ENDPOINT_ID_MAX, "~w%d", peer_worker);
}

static bool has_shard(const reg_conference *c, int w)
{
    for (int i = 0; i < c->n_shards; i++)
        if (c->shards[i] == w)
            return true;
    return false;
}

static int participants_on(const reg_conference *c, int w)
{
    int n = 0;
    for (const reg_endpoint *e = c->endpoints; e; e = e->next)
        n += e->kind == ENDPOINT_PARTICIPANT && e->worker == w;
    return n;
}

int shard_count(const reg_conference *c, int w)
{
    if (!c)
        return 0;
    int n = has_shard(c, w) ? c->n_shards - 1 : 0;
    for (const reg_endpoint *e = c->endpoints; e; e = e->next)
        n += e->worker == w || (e->proxied && has_shard(c, w));
    return n;
}

/* Participants worker w carries over all conferences: what "least busy" weighs. */
static int worker_load(const bridge *b, int w)
{
    int n = 0;
    for (const reg_conference *c = b->conferences; c; c = c->next)
        n += participants_on(c, w);
    return n;
}

static worker_cmd *sources_copy(const worker_cmd *from, const char *conference)
{
    worker_cmd *cmd = malloc(sizeof *cmd);
    if (!cmd)
        return NULL;
    memcpy(cmd, from, sizeof *cmd);
    cmd->type = WORKER_CONFIGURE;
    cmd->ep = NULL;
    cmd->n_receives = -1;
    snprintf(cmd->conference, sizeof cmd->conference, "%s", conference);
    return cmd;
}

/* e's proxy on worker w (made when make), its sources from e. */
static bool push_proxy(bridge *b, reg_conference *c, const reg_endpoint *e, int w, bool make)
{
    if (make) {
        endpoint *ep = endpoint_new(e->id);
        worker_cmd *add = new_command(WORKER_ADD_ENDPOINT, c->name, e->id);
        if (!ep || !add) {
            endpoint_free(ep);
            free(add);
            return false;
        }
        ep->kind = ENDPOINT_PROXY;
        ep->state = ENDPOINT_CONNECTED;
        internal_relay_id(e->worker, ep->via_id);
        ep->serial = ++b->next_serial;
        add->ep = ep;
        if (!push_command(b, w, add))
            return false;
    }
    worker_cmd *configure = sources_copy(e->sources, c->name);
    return configure && push_command(b, w, configure);
}

/* The relay on worker `at` to worker `to`: keys, channel, then its peer. */
static bool push_relay(bridge *b, reg_conference *c, int at, int to, const uint8_t send[28], const uint8_t receive[28],
                       uint32_t channel, uint32_t peer_channel)
{
    char id[ENDPOINT_ID_MAX];
    internal_relay_id(to, id);
    stoa_srtp_keys k = { .profile = STOA_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12 };
    memcpy(k.local, send, 28);
    memcpy(k.remote, receive, 28);
    endpoint *ep = endpoint_new(id);
    worker_cmd *add = new_command(WORKER_ADD_ENDPOINT, c->name, id);
    worker_cmd *peer = new_command(WORKER_RELAY_PEER, c->name, id);
    bool keyed = ep && stoa_srtp_init(&ep->srtp, &k) == 0;
    memset(&k, 0, sizeof k);
    if (!keyed || !add || !peer) {
        endpoint_free(ep);
        free(add);
        free(peer);
        return false;
    }
    ep->srtp_ready = true;
    ep->kind = ENDPOINT_RELAY;
    ep->internal = true;
    ep->state = ENDPOINT_CONNECTED;
    ep->n_announced = 0;
    ep->bwe = bwe_new(WORKER_BWE_START_BPS, WORKER_BWE_MIN_BPS, WORKER_BWE_MAX_BPS);
    ep->channel = channel;
    ep->serial = ++b->next_serial;
    add->ep = ep;
    struct sockaddr_in *sin = (struct sockaddr_in *)&peer->peer_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = htons((uint16_t)(b->cfg.media_port + to));
    peer->peer_addr_len = sizeof *sin;
    peer->peer_channel = peer_channel;
    if (!push_command(b, at, add)) {
        free(peer);
        return false;
    }
    return push_command(b, at, peer);
}

static uint32_t next_channel(bridge *b)
{
    b->next_channel = b->next_channel % RELAY_CHANNEL_MAX + 1;
    return b->next_channel;
}

/* Opens worker w's part of c: a relay pair with each part there is, and
 * proxies there of everyone who sends. */
static bool open_shard(bridge *b, reg_conference *c, int w)
{
    if (c->n_shards == CONFERENCE_MAX_SHARDS)
        return false;
    for (int i = 0; i < c->n_shards; i++) {
        int s = c->shards[i];
        uint8_t s_to_w[28], w_to_s[28];
        random_bytes(s_to_w, sizeof s_to_w);
        random_bytes(w_to_s, sizeof w_to_s);
        uint32_t on_s = next_channel(b), on_w = next_channel(b);
        bool ok = push_relay(b, c, s, w, s_to_w, w_to_s, on_s, on_w) && push_relay(b, c, w, s, w_to_s, s_to_w, on_w, on_s);
        memset(s_to_w, 0, sizeof s_to_w);
        memset(w_to_s, 0, sizeof w_to_s);
        if (!ok)
            log_warn("bridge", "%s: out of memory linking workers %d and %d", c->name, s, w);
    }
    c->shards[c->n_shards++] = w;
    for (reg_endpoint *e = c->endpoints; e; e = e->next)
        if (e->proxied && !push_proxy(b, c, e, w, true))
            log_warn("bridge", "%s/%s: out of memory for its proxy on worker %d", c->name, e->id, w);
    log_info("bridge", "conference %s spreads to worker %d (%d workers)", c->name, w, c->n_shards);
    return true;
}

int shard_for_newcomer(bridge *b, reg_conference *c)
{
    if (!c)
        return pick_worker(b);
    if (c->n_shards == 0) {
        c->shards[0] = c->worker;
        c->n_shards = 1;
    }
    int best = c->shards[0], fewest = participants_on(c, best);
    for (int i = 1; i < c->n_shards; i++) {
        int n = participants_on(c, c->shards[i]);
        if (n < fewest) {
            best = c->shards[i];
            fewest = n;
        }
    }
    int limit = b->cfg.worker_participants;
    if (limit <= 0 || fewest < limit || c->n_shards == CONFERENCE_MAX_SHARDS)
        return best;
    int spare = -1, spare_load = 0;
    for (int w = 0; w < b->n_workers; w++) {
        if (has_shard(c, w))
            continue;
        int load = worker_load(b, w);
        if (spare < 0 || load < spare_load) {
            spare = w;
            spare_load = load;
        }
    }
    if (spare < 0)
        return best;   /* on every worker already: the least filled part */
    return open_shard(b, c, spare) ? spare : best;
}

void shard_publish(bridge *b, reg_conference *c, reg_endpoint *e)
{
    if (!e->sources || e->sources->n_sources == 0 || (e->kind == ENDPOINT_PROXY && e->worker != c->worker))
        return;
    bool make = !e->proxied;
    e->proxied = true;
    for (int i = 0; i < c->n_shards; i++)
        if (c->shards[i] != e->worker && !push_proxy(b, c, e, c->shards[i], make))
            log_warn("bridge", "%s/%s: out of memory for its proxy on worker %d", c->name, e->id, c->shards[i]);
}

void shard_pause(bridge *b, reg_conference *c, reg_endpoint *e, const worker_cmd *pause)
{
    if (e->sources)
        for (int k = 0; k < pause->n_sources; k++)
            for (int i = 0; i < e->sources->n_sources; i++)
                if (e->sources->ssrcs[i] == pause->ssrcs[k])
                    e->sources->source_paused[i] = pause->paused;
    if (!e->proxied)
        return;
    for (int i = 0; i < c->n_shards; i++) {
        if (c->shards[i] == e->worker)
            continue;
        worker_cmd *cmd = malloc(sizeof *cmd);
        if (cmd) {
            memcpy(cmd, pause, sizeof *cmd);
            push_command(b, c->shards[i], cmd);
        }
    }
}

void shard_forget(bridge *b, reg_conference *c, reg_endpoint *e)
{
    for (int i = 0; e->proxied && i < c->n_shards; i++) {
        worker_cmd *cmd = c->shards[i] != e->worker ? new_command(WORKER_EXPIRE, c->name, e->id) : NULL;
        if (cmd)
            push_command(b, c->shards[i], cmd);
    }
    e->proxied = false;
    free(e->sources);
    e->sources = NULL;
}

void shard_close(bridge *b, reg_conference *c)
{
    for (int i = 0; i < c->n_shards; i++) {
        for (int j = 0; j < c->n_shards; j++) {
            if (i == j)
                continue;
            char id[ENDPOINT_ID_MAX];
            internal_relay_id(c->shards[j], id);
            worker_cmd *cmd = new_command(WORKER_EXPIRE, c->name, id);
            if (cmd)
                push_command(b, c->shards[i], cmd);   /* the relay's proxies go with it */
        }
    }
    c->n_shards = 0;
}

bool shard_speaks(const bridge *b, const char *conference, int w)
{
    for (const reg_conference *c = b->conferences; c; c = c->next)
        if (strcmp(c->name, conference) == 0)
            return c->worker == w;
    return true;
}
