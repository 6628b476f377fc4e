/* The bridge's control side: takes focus requests (docs/protocol.md,
 * "Bridge control") on the control thread, keeps a registry of which worker
 * owns which conference, and hands work to the media workers by queue. */
#include "bridge/bridge.h"
#include "bridge/control_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/ice_lite.h"
#include "bridge/relay.h"
#include "bridge/worker.h"
#include "core/log.h"
#include "webrtc/sdp.h"

static void free_event(void *item)
{
    worker_event *ev = item;
    free(ev->forwarded);
    free(ev);
}

static void wake_control(void *user)
{
    bridge *b = user;
    b->wake(b->user);
}

bridge *bridge_new(const bridge_config *cfg, bridge_emit_fn emit, bridge_wake_fn wake, void *user)
{
    if (stoa_srtp_global_init() < 0)
        return NULL;
    bridge *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = *cfg;
    b->emit = emit;
    b->wake = wake;
    b->user = user;
    b->public_ips = calloc((size_t)cfg->n_public_ips + 1, sizeof *b->public_ips);
    for (int i = 0; b->public_ips && i < cfg->n_public_ips; i++)
        b->public_ips[i] = strdup(cfg->public_ips[i]);
    b->dtls = dtls_ctx_new();
    queue_init(&b->events, false);
    b->workers = calloc((size_t)cfg->workers, sizeof *b->workers);
    if (!b->public_ips || !b->dtls || !b->workers) {
        bridge_free(b);
        return NULL;
    }
    for (int i = 0; i < cfg->workers; i++) {
        worker *w = &b->workers[i];
        if (worker_init(w, i, (uint16_t)(cfg->media_port + i), b->dtls, &b->events, wake_control, b) < 0) {
            worker_stop(w);
            bridge_free(b);
            return NULL;
        }
        w->consent_timeout_ms = cfg->consent_timeout_ms;
        w->remb_bitrate = cfg->remb_bitrate;
        b->n_workers++;
    }
    for (int i = 0; i < b->n_workers; i++) {
        if (worker_start(&b->workers[i]) < 0) {
            bridge_free(b);
            return NULL;
        }
    }
    log_info("bridge", "%d media worker(s) on UDP ports %u-%u, DTLS %s", cfg->workers,
             cfg->media_port, cfg->media_port + cfg->workers - 1, dtls_ctx_fingerprint(b->dtls));
    return b;
}

void bridge_free(bridge *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n_workers; i++)
        worker_stop(&b->workers[i]);
    if (b->n_workers > 0) {
        /* The workers have stopped: the counters are settled. */
        bridge_counters c;
        bridge_get_counters(b, &c);
        log_info("bridge", "media totals: %llu datagrams received, %llu RTP packets forwarded; "
                 "dropped %llu malformed, %llu unknown, %llu failing authentication; %llu NACKed "
                 "packets, %llu retransmitted from the cache, %llu asked of senders",
                 (unsigned long long)c.rx_datagrams, (unsigned long long)c.rtp_forwarded,
                 (unsigned long long)c.dropped[MEDIA_DROP_MALFORMED], (unsigned long long)c.dropped[MEDIA_DROP_UNKNOWN],
                 (unsigned long long)c.dropped[MEDIA_DROP_AUTH], (unsigned long long)c.nacks_received,
                 (unsigned long long)c.retransmitted, (unsigned long long)c.nacks_sent);
        for (int i = 0; b->n_workers > 1 && i < b->n_workers; i++) {
            uint64_t forwarded, relayed;
            bridge_get_worker_forwarded(b, i, &forwarded, &relayed);
            log_info("bridge", "worker %d forwarded %llu RTP packets, relayed %llu bytes to other workers", i,
                     (unsigned long long)forwarded, (unsigned long long)relayed);
        }
    }
    free(b->workers);
    queue_destroy(&b->events, free_event);
    while (b->conferences) {
        reg_conference *c = b->conferences;
        b->conferences = c->next;
        while (c->endpoints) {
            reg_endpoint *e = c->endpoints;
            c->endpoints = e->next;
            free(e->sources);
            free(e);
        }
        free(c);
    }
    if (b->dtls)
        dtls_ctx_free(b->dtls);
    for (int i = 0; b->public_ips && b->public_ips[i]; i++)
        free(b->public_ips[i]);
    free(b->public_ips);
    free(b);
}

reg_conference *reg_find(bridge *b, const char *name)
{
    for (reg_conference *c = b->conferences; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

reg_endpoint **reg_find_endpoint(reg_conference *c, const char *id)
{
    for (reg_endpoint **e = &c->endpoints; *e; e = &(*e)->next)
        if (strcmp((*e)->id, id) == 0)
            return e;
    return NULL;
}

/* Forgets a conference without endpoints (its last left, or the request
 * that opened it failed). */
void reg_close_if_empty(bridge *b, reg_conference *c)
{
    if (c->endpoints)
        return;
    shard_close(b, c);
    for (reg_conference **p = &b->conferences; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            free(c);
            return;
        }
    }
}

/* Forgets an endpoint; forgets the conference with its last endpoint. */
void reg_remove(bridge *b, reg_conference *c, reg_endpoint **e)
{
    reg_endpoint *gone = *e;
    *e = gone->next;
    shard_forget(b, c, gone);
    free(gone);
    reg_close_if_empty(b, c);
}

/* New conferences go to the worker with the fewest conferences. */
int pick_worker(bridge *b)
{
    int best = 0, best_count = -1;
    for (int i = 0; i < b->n_workers; i++) {
        int count = 0;
        for (reg_conference *c = b->conferences; c; c = c->next)
            count += c->worker == i;
        if (best_count < 0 || count < best_count) {
            best = i;
            best_count = count;
        }
    }
    return best;
}

void respond_error(bridge *b, json_int_t id, const char *code, const char *message)
{
    b->emit(b->user, json_pack("{s:s, s:I, s:s, s:s}", "type", "error", "id", id, "code", code,
                               "message", message));
}

void respond_ok(bridge *b, const char *type, json_int_t id)
{
    char ok[32];
    snprintf(ok, sizeof ok, "%s-ok", type);
    b->emit(b->user, json_pack("{s:s, s:I}", "type", ok, "id", id));
}

/* Reads a required string field of 1..max-1 bytes. */
const char *string_field(json_t *obj, const char *key, size_t max)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return NULL;
    size_t len = json_string_length(v);
    return len > 0 && len < max ? json_string_value(v) : NULL;
}

bool push_command(bridge *b, int worker_index, worker_cmd *cmd)
{
    if (queue_push(&b->workers[worker_index].commands, cmd) < 0) {
        free(cmd);
        return false;
    }
    return true;
}

/* Hands cmd to the worker and acknowledges the request (type-ok). */
void push_and_ack(bridge *b, int worker_index, worker_cmd *cmd, json_int_t id, const char *type)
{
    if (push_command(b, worker_index, cmd))
        respond_ok(b, type, id);
    else
        respond_error(b, id, "unavailable", "out of memory");
}

worker_cmd *new_command(enum worker_cmd_type type, const char *conference, const char *endpoint)
{
    worker_cmd *cmd = calloc(1, sizeof *cmd);
    if (!cmd)
        return NULL;
    cmd->type = type;
    snprintf(cmd->conference, sizeof cmd->conference, "%s", conference);
    snprintf(cmd->endpoint, sizeof cmd->endpoint, "%s", endpoint);
    return cmd;
}

static json_t *candidates_json(bridge *b, int worker_index)
{
    json_t *list = json_array();
    for (int i = 0; i < b->cfg.n_public_ips; i++) {
        char foundation[16];
        snprintf(foundation, sizeof foundation, "%d", i + 1);
        json_int_t priority = ICE_CANDIDATE_PRIORITY(ICE_TYPE_PREF_UDP, i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:s, s:I}", "foundation", foundation,
                                              "ip", b->public_ips[i], "port",
                                              b->cfg.media_port + worker_index, "protocol", "udp",
                                              "priority", priority));
    }
    /* ICE-TCP (RFC 6544), passive, on the same port number: for clients
     * without UDP. A lower type preference keeps UDP first. */
    for (int i = 0; i < b->cfg.n_public_ips; i++) {
        char foundation[16];
        snprintf(foundation, sizeof foundation, "%d", 100 + i + 1);
        json_int_t priority = ICE_CANDIDATE_PRIORITY(ICE_TYPE_PREF_TCP, i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:s, s:s, s:I}", "foundation", foundation,
                                              "ip", b->public_ips[i], "port",
                                              b->cfg.media_port + worker_index, "protocol", "tcp",
                                              "tcptype", "passive", "priority", priority));
    }
    return list;
}

bool room_for(bridge *b, reg_conference *c, json_int_t id, const char *ep_id, int w)
{
    if (c && reg_find_endpoint(c, ep_id)) {
        respond_error(b, id, "duplicate-endpoint", "an endpoint with this id exists in the conference");
        return false;
    }
    if (shard_count(c, w) >= CONFERENCE_MAX_ENDPOINTS) {
        respond_error(b, id, "conference-full",
                      "a conference holds at most 100 endpoints on one media worker, and spreads over at most 8");
        return false;
    }
    return true;
}

static void handle_allocate(bridge *b, json_t *req, json_int_t id, const char *conf_name, const char *ep_id)
{
    reg_conference *c = reg_find(b, conf_name);
    if (c && reg_find_endpoint(c, ep_id)) {
        respond_error(b, id, "duplicate-endpoint", "an endpoint with this id exists in the conference");
        return;
    }
    int w = shard_for_newcomer(b, c);
    if (!room_for(b, c, id, ep_id, w))
        return;
    endpoint *ep = endpoint_new(ep_id);
    worker_cmd *cmd = new_command(WORKER_ADD_ENDPOINT, conf_name, ep_id);
    reg_endpoint *re = calloc(1, sizeof *re);
    reg_conference *fresh = c ? NULL : calloc(1, sizeof *fresh);
    if (!ep || !cmd || !re || (!c && !fresh)) {
        endpoint_free(ep);
        free(cmd);
        free(re);
        free(fresh);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    (void)req;
    json_t *resp = json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:b}, s:{s:s, s:s}, s:o}", "type",
                             "allocate-ok", "id", id, "endpoint", ep_id, "ice", "ufrag",
                             ep->local_ufrag, "pwd", ep->local_pwd, "lite", 1, "dtls",
                             "fingerprint", dtls_ctx_fingerprint(b->dtls), "setup", "passive",
                             "candidates", candidates_json(b, w));
    uint64_t serial = ep->serial = ++b->next_serial;
    cmd->ep = ep;   /* the worker owns ep from the push on: not touched after it */
    if (!push_command(b, w, cmd)) {
        endpoint_free(ep);
        free(re);
        free(fresh);
        json_decref(resp);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (!c) {
        c = fresh;
        snprintf(c->name, sizeof c->name, "%s", conf_name);
        c->worker = w;
        c->next = b->conferences;
        b->conferences = c;
    }
    snprintf(re->id, sizeof re->id, "%s", ep_id);
    re->serial = serial;
    re->worker = w;
    re->next = c->endpoints;
    c->endpoints = re;
    b->emit(b->user, resp);
}

/* Whether the SSRCs and RTX SSRCs a configure declares are all different
 * (uniqueness across the conference is the worker's to check: it knows
 * the others' and the learned ones). */
static bool distinct_ssrcs(const worker_cmd *cmd)
{
    uint32_t all[2 * ENDPOINT_MAX_SOURCES + 2 * SOURCE_MAX_LAYERS];
    int n = 0;
    for (int i = 0; i < cmd->n_sources; i++) {
        all[n++] = cmd->ssrcs[i];
        all[n++] = cmd->source_rtx[i];
    }
    for (int i = 0; i < cmd->n_layer_rtx; i++) {
        all[n++] = cmd->layer_rtx[i].ssrc;
        all[n++] = cmd->layer_rtx[i].rtx;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; all[i] && j < i; j++)
            if (all[j] == all[i])
                return false;
    return true;
}

static bool ssrc_value(json_t *v, uint32_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 0xFFFFFFFFll)
        return false;
    *out = (uint32_t)json_integer_value(v);
    return true;
}

/* A simulcast source's optional "layer_rtx": [{ssrc, rtx}, ...], the FID
 * pairs its layers were declared with. Absent is fine. */
static bool parse_layer_rtx(worker_cmd *cmd, json_t *list, bool has_rids)
{
    if (!list)
        return true;
    if (!has_rids || !json_is_array(list) || json_array_size(list) > SOURCE_MAX_LAYERS)
        return false;
    size_t i;
    json_t *pair;
    json_array_foreach(list, i, pair) {
        uint32_t ssrc, rtx;
        if (!ssrc_value(json_object_get(pair, "ssrc"), &ssrc) || !ssrc_value(json_object_get(pair, "rtx"), &rtx) ||
            ssrc == rtx)
            return false;
        cmd->layer_rtx[i].ssrc = ssrc;
        cmd->layer_rtx[i].rtx = rtx;
    }
    cmd->n_layer_rtx = (int)json_array_size(list);
    return true;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The optional "receives": the SSRCs the endpoint was told it receives,
 * sorted and without repeats into cmd (absent: -1, not limited). */
static bool parse_receives(worker_cmd *cmd, json_t *list)
{
    cmd->n_receives = -1;
    if (!list)
        return true;
    if (!json_is_array(list) || json_array_size(list) > ENDPOINT_MAX_ANNOUNCED)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 0xFFFFFFFFll)
            return false;
        cmd->receives[i] = (uint32_t)json_integer_value(v);
    }
    size_t n = json_array_size(list);
    qsort(cmd->receives, n, sizeof cmd->receives[0], compare_u32);
    size_t kept = 0;
    for (i = 0; i < n; i++)
        if (kept == 0 || cmd->receives[kept - 1] != cmd->receives[i])
            cmd->receives[kept++] = cmd->receives[i];
    cmd->n_receives = (int)kept;
    return true;
}

/* The "sources" (and "receives") of a configure or proxy request into cmd.
 * False after responding with the error. */
bool parse_sources(bridge *b, json_t *req, json_int_t id, worker_cmd *cmd)
{
    json_t *sources = json_object_get(req, "sources");
    if (!json_is_array(sources) || json_array_size(sources) > ENDPOINT_MAX_SOURCES) {
        respond_error(b, id, "bad-request", "at most 8 sources");
        return false;
    }
    size_t i;
    json_t *s;
    size_t total = 0;
    json_array_foreach(sources, i, s)
        total += 1 + json_array_size(json_object_get(s, "rids"));
    if (total > ENDPOINT_MAX_SOURCES) {
        respond_error(b, id, "bad-request", "at most 8 sources, each simulcast layer counting as one more");
        return false;
    }
    int simulcast_sources = 0;
    json_array_foreach(sources, i, s)
        simulcast_sources += json_array_size(json_object_get(s, "rids")) > 0;
    if (simulcast_sources > 1) {
        respond_error(b, id, "bad-request", "at most one source with rids (a simulcast camera) per endpoint");
        return false;
    }
    json_array_foreach(sources, i, s) {
        json_t *ssrc = json_object_get(s, "ssrc");
        const char *kind = json_string_value(json_object_get(s, "kind"));
        if (!json_is_integer(ssrc) || json_integer_value(ssrc) <= 0 ||
            json_integer_value(ssrc) > 0xFFFFFFFFll || !kind ||
            (strcmp(kind, "audio") != 0 && strcmp(kind, "video") != 0)) {
            respond_error(b, id, "bad-request", "each source needs an ssrc (1..2^32-1) and kind audio or video");
            return false;
        }
        cmd->ssrcs[cmd->n_sources] = (uint32_t)json_integer_value(ssrc);
        cmd->video[cmd->n_sources] = strcmp(kind, "video") == 0;
        cmd->source_paused[cmd->n_sources] = json_is_true(json_object_get(s, "paused"));
        cmd->source_screen[cmd->n_sources] = json_is_true(json_object_get(s, "screen"));
        json_t *rtx = json_object_get(s, "rtx");
        if (json_is_integer(rtx) && json_integer_value(rtx) > 0 && json_integer_value(rtx) <= 0xFFFFFFFFll)
            cmd->source_rtx[cmd->n_sources] = (uint32_t)json_integer_value(rtx);
        json_t *rids = json_object_get(s, "rids");
        size_t k;
        json_t *rid;
        bool rids_ok = !rids || (json_is_array(rids) && json_array_size(rids) <= SOURCE_MAX_LAYERS &&
                                 cmd->video[cmd->n_sources]);
        json_array_foreach(rids, k, rid) {
            if (!rids_ok || !json_is_string(rid) || !sdp_rid_ok(json_string_value(rid))) {
                rids_ok = false;
                break;
            }
            snprintf(cmd->source_rids[cmd->n_sources][k], SOURCE_RID_MAX, "%s", json_string_value(rid));
            for (size_t j = 0; j < k; j++)
                rids_ok &= strcmp(cmd->source_rids[cmd->n_sources][j], cmd->source_rids[cmd->n_sources][k]) != 0;
        }
        if (!rids_ok) {
            respond_error(b, id, "bad-request", "rids: up to 3 distinct RFC 8851 rids, on a video source");
            return false;
        }
        cmd->source_n_rids[cmd->n_sources] = rids ? (int)json_array_size(rids) : 0;
        if (!parse_layer_rtx(cmd, json_object_get(s, "layer_rtx"), rids != NULL)) {
            respond_error(b, id, "bad-request",
                          "layer_rtx: up to 3 {ssrc, rtx} pairs (1..2^32-1, distinct), on a source with rids");
            return false;
        }
        cmd->n_sources++;
    }
    if (!distinct_ssrcs(cmd)) {
        respond_error(b, id, "bad-request", "every ssrc and rtx of an endpoint must be distinct");
        return false;
    }
    if (!parse_receives(cmd, json_object_get(req, "receives"))) {
        respond_error(b, id, "bad-request", "receives: at most 256 SSRCs (1..2^32-1)");
        return false;
    }
    return true;
}

static void handle_configure(bridge *b, json_t *req, json_int_t id, reg_conference *c, reg_endpoint *e)
{
    const char *ep_id = e->id;
    json_t *ice = json_object_get(req, "ice"), *dtls = json_object_get(req, "dtls");
    json_t *sources = json_object_get(req, "sources");
    const char *ufrag = string_field(ice, "ufrag", 257), *pwd = string_field(ice, "pwd", 257);
    const char *fingerprint = string_field(dtls, "fingerprint", 256);
    if (!ufrag || !pwd || !fingerprint || !json_is_array(sources) ||
        json_array_size(sources) > ENDPOINT_MAX_SOURCES) {
        respond_error(b, id, "bad-request", "configure needs ice.ufrag, ice.pwd, dtls.fingerprint and at most 8 sources");
        return;
    }
    worker_cmd *cmd = new_command(WORKER_CONFIGURE, c->name, ep_id);
    if (!cmd) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (sdp_fingerprint_decode(fingerprint, cmd->remote_fingerprint) < 0) {
        free(cmd);
        respond_error(b, id, "bad-fingerprint", "dtls.fingerprint must be a sha-256 fingerprint");
        return;
    }
    snprintf(cmd->remote_ufrag, sizeof cmd->remote_ufrag, "%s", ufrag);
    snprintf(cmd->remote_pwd, sizeof cmd->remote_pwd, "%s", pwd);
    if (!parse_sources(b, req, id, cmd)) {
        free(cmd);
        return;
    }
    worker_cmd *kept = malloc(sizeof *kept);
    if (kept) {
        memcpy(kept, cmd, sizeof *kept);
        free(e->sources);
        e->sources = kept;
    }
    if (!push_command(b, e->worker, cmd)) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    respond_ok(b, "configure", id);
    shard_publish(b, c, e);
}

static void handle_pause(bridge *b, json_t *req, json_int_t id, reg_conference *c, reg_endpoint *e)
{
    const char *ep_id = e->id;
    json_t *ssrcs = json_object_get(req, "ssrcs"), *paused = json_object_get(req, "paused");
    if (!json_is_array(ssrcs) || json_array_size(ssrcs) > ENDPOINT_MAX_SOURCES || !json_is_boolean(paused)) {
        respond_error(b, id, "bad-request", "pause needs ssrcs (at most 8) and paused (true or false)");
        return;
    }
    worker_cmd *cmd = new_command(WORKER_PAUSE, c->name, ep_id);
    if (!cmd) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(ssrcs, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > 0xFFFFFFFFll) {
            free(cmd);
            respond_error(b, id, "bad-request", "each ssrc must be an integer from 1 to 2^32-1");
            return;
        }
        cmd->ssrcs[cmd->n_sources++] = (uint32_t)json_integer_value(v);
    }
    cmd->paused = json_is_true(paused);
    shard_pause(b, c, e, cmd);
    push_and_ack(b, e->worker, cmd, id, "pause");
}

static void handle_constraints(bridge *b, json_t *req, json_int_t id, reg_conference *c, reg_endpoint *e)
{
    const char *ep_id = e->id;
    json_t *last_n = json_object_get(req, "last_n"), *selected = json_object_get(req, "selected");
    if (!json_is_integer(last_n) || json_integer_value(last_n) < -1 || json_integer_value(last_n) > 1000 ||
        (selected && (!json_is_array(selected) || json_array_size(selected) > ENDPOINT_MAX_SELECTED))) {
        respond_error(b, id, "bad-request", "constraints needs last_n (-1 for all, or 0..1000) and at most 8 selected endpoints");
        return;
    }
    worker_cmd *cmd = new_command(WORKER_CONSTRAINTS, c->name, ep_id);
    if (!cmd) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    cmd->last_n = (int)json_integer_value(last_n);
    size_t i;
    json_t *v;
    json_array_foreach(selected, i, v) {
        const char *s = json_string_value(v);
        if (!s || json_string_length(v) == 0 || json_string_length(v) >= ENDPOINT_ID_MAX) {
            free(cmd);
            respond_error(b, id, "bad-request", "selected endpoints are endpoint ids");
            return;
        }
        snprintf(cmd->selected[cmd->n_selected++], ENDPOINT_ID_MAX, "%s", s);
    }
    json_t *heights = json_object_get(req, "heights");
    const char *key;
    if (heights && (!json_is_object(heights) || json_object_size(heights) > ENDPOINT_MAX_FORWARDED)) {
        free(cmd);
        respond_error(b, id, "bad-request", "heights maps at most 100 endpoint ids to pixel heights");
        return;
    }
    json_object_foreach(heights, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 8192 ||
            strlen(key) == 0 || strlen(key) >= ENDPOINT_ID_MAX) {
            free(cmd);
            respond_error(b, id, "bad-request", "heights maps endpoint ids to pixel heights (0..8192)");
            return;
        }
        snprintf(cmd->view_heights[cmd->n_view_heights].id, ENDPOINT_ID_MAX, "%s", key);
        cmd->view_heights[cmd->n_view_heights++].height = (uint16_t)json_integer_value(v);
    }
    push_and_ack(b, e->worker, cmd, id, "constraints");
}

reg_endpoint *reg_add(reg_conference *c, const char *id, endpoint_kind kind, const char *via, uint64_t serial)
{
    reg_endpoint *re = calloc(1, sizeof *re);
    if (!re)
        return NULL;
    re->worker = c->worker;   /* relays to other bridges and their proxies live on the first */
    snprintf(re->id, sizeof re->id, "%s", id);
    snprintf(re->via, sizeof re->via, "%s", via ? via : "");
    re->kind = kind;
    re->serial = serial;
    re->next = c->endpoints;
    c->endpoints = re;
    return re;
}

reg_conference *reg_open(bridge *b, const char *name)
{
    reg_conference *c = reg_find(b, name);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->worker = pick_worker(b);
    c->next = b->conferences;
    b->conferences = c;
    return c;
}

void bridge_handle(bridge *b, json_t *req)
{
    const char *type = json_string_value(json_object_get(req, "type"));
    json_t *id_json = json_object_get(req, "id");
    json_int_t id = json_is_integer(id_json) ? json_integer_value(id_json) : 0;
    const char *conf_name = string_field(req, "conference", CONFERENCE_NAME_MAX);
    const char *ep_id = string_field(req, "endpoint", ENDPOINT_ID_MAX);
    if (!type || !json_is_integer(id_json)) {
        respond_error(b, id, "bad-request", "a request needs a string type and an integer id");
    } else if (strcmp(type, "conferences") == 0) {
        handle_list_conferences(b, req, id);
    } else if (strcmp(type, "expire-conference") == 0 && !conf_name) {
        respond_error(b, id, "bad-request", "conference (1-128 bytes) is required");
    } else if (strcmp(type, "expire-conference") == 0) {
        handle_expire_conference(b, id, conf_name);
    } else if (!conf_name || !ep_id) {
        respond_error(b, id, "bad-request", "conference (1-128 bytes) and endpoint (1-63 bytes) are required");
    } else if (ep_id[0] == '~') {
        respond_error(b, id, "bad-request", "endpoint ids starting with ~ are the bridge's own");
    } else if (strcmp(type, "allocate") == 0) {
        handle_allocate(b, req, id, conf_name, ep_id);
    } else if (strcmp(type, "relay-open") == 0) {
        handle_relay_open(b, req, id, conf_name, ep_id);
    } else if (strcmp(type, "proxy") == 0) {
        handle_proxy(b, req, id, conf_name, ep_id);
    } else {
        reg_conference *c = reg_find(b, conf_name);
        reg_endpoint **e = c ? reg_find_endpoint(c, ep_id) : NULL;
        if (strcmp(type, "configure") != 0 && strcmp(type, "expire") != 0 && strcmp(type, "pause") != 0 &&
            strcmp(type, "constraints") != 0 && strcmp(type, "relay-peer") != 0) {
            respond_error(b, id, "bad-request", "unknown request type");
        } else if (!e) {
            respond_error(b, id, "unknown-endpoint", "no such endpoint in this conference");
        } else if (strcmp(type, "relay-peer") == 0) {
            if ((*e)->kind == ENDPOINT_RELAY)
                handle_relay_peer(b, req, id, c, ep_id);
            else
                respond_error(b, id, "not-a-relay", "relay-peer names a relay endpoint");
        } else if (strcmp(type, "expire") != 0 && (*e)->kind != ENDPOINT_PARTICIPANT) {
            respond_error(b, id, "not-a-participant", "configure, pause and constraints name a participant");
        } else if (strcmp(type, "configure") == 0) {
            handle_configure(b, req, id, c, *e);
        } else if (strcmp(type, "pause") == 0) {
            handle_pause(b, req, id, c, *e);
        } else if (strcmp(type, "constraints") == 0) {
            handle_constraints(b, req, id, c, *e);
        } else {
            worker_cmd *cmd = new_command(WORKER_EXPIRE, conf_name, ep_id);
            int w = (*e)->worker;
            reg_expire(b, c, e);
            if (cmd && push_command(b, w, cmd))
                respond_ok(b, "expire", id);
            else
                respond_error(b, id, "unavailable", "out of memory");
        }
    }
    json_decref(req);
}

void bridge_poll(bridge *b)
{
    worker_event *ev;
    while ((ev = queue_pop(&b->events)) != NULL) {
        if (ev->type == WORKER_EVENT_EXPIRED) {
            reg_conference *c = reg_find(b, ev->conference);
            reg_endpoint **e = c ? reg_find_endpoint(c, ev->endpoint) : NULL;
            if (!e || (*e)->serial != ev->serial) {
                /* The focus expired it meanwhile (and may have allocated
                 * the id again): nothing to report. */
                free(ev->forwarded);
                free(ev);
                continue;
            }
            reg_remove(b, c, e);
            b->emit(b->user, json_pack("{s:s, s:s, s:s, s:s}", "type", "endpoint-expired", "conference",
                                       ev->conference, "endpoint", ev->endpoint, "reason", ev->reason));
        } else if (ev->type == WORKER_EVENT_FORWARDED) {
            json_t *ids = json_array(), *held = json_array();
            for (int i = 0; i < ev->n_forwarded + ev->n_bandwidth; i++)
                json_array_append_new(i < ev->n_forwarded ? ids : held, json_string(ev->forwarded[i]));
            b->emit(b->user, json_pack("{s:s, s:s, s:s, s:o, s:o}", "type", "forwarded", "conference", ev->conference,
                                       "endpoint", ev->endpoint, "endpoints", ids, "bandwidth", held));
        } else if (ev->type == WORKER_EVENT_DOMINANT_SPEAKER && !shard_speaks(b, ev->conference, ev->worker)) {
            /* another worker's part of the conference: the first one's decision is told */
        } else {
            const char *type = ev->type == WORKER_EVENT_CONNECTED ? "endpoint-connected" : "dominant-speaker";
            b->emit(b->user, json_pack("{s:s, s:s, s:s}", "type", type, "conference", ev->conference,
                                       "endpoint", ev->endpoint));
        }
        free(ev->forwarded);
        free(ev);
    }
}

void bridge_get_counters(bridge *b, bridge_counters *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < b->n_workers; i++) {
        worker_counters c;
        worker_read_counters(&b->workers[i], &c);
        out->rx_datagrams += c.rx_datagrams;
        out->rtp_forwarded += c.rtp_forwarded;
        out->rx_bytes += c.rx_bytes;
        out->rtp_forwarded_bytes += c.rtp_forwarded_bytes;
        for (int k = 0; k < MEDIA_DROP_REASONS; k++)
            out->dropped[k] += c.dropped[k];
        out->nacks_received += c.nacks_received;
        out->retransmitted += c.retransmitted;
        out->nacks_sent += c.nacks_sent;
        out->twcc_feedback_sent += c.twcc_feedback_sent;
        out->probe_packets += c.probe_packets;
        out->relay_bytes_in += c.relay_bytes_in;
        out->relay_bytes_out += c.relay_bytes_out;
        out->relays += c.relays;
        out->relay_rtt_ms_sum += c.relay_rtt_ms_sum;
        out->forward_delay_us_sum += c.forward_delay_us_sum;
        for (int k = 0; k < FORWARD_DELAY_BUCKETS; k++)
            out->forward_delay[k] += c.forward_delay[k];
    }
}

bool bridge_get_worker_forwarded(bridge *b, int i, uint64_t *forwarded, uint64_t *to_workers)
{
    if (i < 0 || i >= b->n_workers)
        return false;
    worker_counters c;
    worker_read_counters(&b->workers[i], &c);
    *forwarded = c.rtp_forwarded;
    *to_workers = c.worker_relay_bytes_out;
    return true;
}

void bridge_get_load(const bridge *b, int *endpoints, int *conferences)
{
    int e = 0, c = 0;
    for (const reg_conference *conf = b->conferences; conf; conf = conf->next, c++)
        for (const reg_endpoint *ep = conf->endpoints; ep; ep = ep->next)
            e += ep->kind == ENDPOINT_PARTICIPANT;   /* what placement weighs: relays and proxies cost little */
    *endpoints = e;
    *conferences = c;
}
