/* stoa: one process serving the web app, signalling, the focus and the
 * bridge ("stoa serve"), or the focus with bridges linked over the network
 * ("stoa focus"); "stoa bridge" is role_bridge.c. Wires the pieces together
 * on the control thread. */
#include <jansson.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdint.h>

#include "bridge/bridge.h"
#include "core/config.h"
#include "core/log.h"
#include "core/queue.h"
#include "focus/focus.h"
#include "focus/placement.h"
#include "http/server.h"
#include "link/link_hub.h"
#include "role_bridge.h"

typedef struct app {
    http_server *http;
    focus *focus;
    bridge *bridge;
    queue to_bridge;               /* control requests, delivered on the next wake */
    refusals refused;              /* what the HTTP server and the focus turned away */
    bool closing;                  /* the bridge is gone: requests are dropped */
    int local_bridge;              /* the in-process bridge's handle in the focus */
    link_hub *hub;                 /* stoa focus: the bridges linked over the network */
    struct { int handle; heartbeat hb; } beats[FOCUS_MAX_BRIDGES];   /* each bridge's last heartbeat */
} app;

static volatile sig_atomic_t stop_requested;
static http_server *signal_target;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_target)
        http_server_wake(signal_target);
}

/* The in-process bridge link: same messages as over the network, delivered
 * asynchronously so the focus never sees a response inside its own call. */
static void link_send(void *user, int bridge, json_t *request)
{
    app *a = user;
    if (a->hub) {
        link_hub_send(a->hub, bridge, request);
        return;
    }
    if (a->closing || queue_push(&a->to_bridge, request) < 0) {
        json_decref(request);
        return;
    }
    http_server_wake(a->http);
}

static void link_deliver(void *user, json_t *msg)
{
    app *a = user;
    focus_bridge_message(a->focus, a->local_bridge, msg);
}

static void wake_http(void *user)
{
    app *a = user;
    http_server_wake(a->http);
}

static int64_t mono_ms(void);

static void on_tick(void *user)
{
    app *a = user;
    if (a->hub)
        link_hub_tick(a->hub, mono_ms());
    focus_tick(a->focus);
}

/* ---- stoa focus: bridges over the network ---- */

static int hub_on_hello(void *user, const link_hello *h)
{
    app *a = user;
    return focus_bridge_add(a->focus, &(focus_bridge_info){ .id = h->bridge, .region = h->region,
                                                           .capacity = h->capacity });
}

static void hub_on_linked(void *user, int handle)
{
    app *a = user;
    focus_bridge_linked(a->focus, handle);
}

static void hub_on_message(void *user, int handle, json_t *msg)
{
    app *a = user;
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (type && strcmp(type, "drain") == 0) {
        int moved = focus_bridge_drain(a->focus, handle, json_is_true(json_object_get(msg, "move")));
        log_info("stoa", "bridge %d asked to be drained; %d participants moved", handle, moved);
        json_decref(msg);
        return;
    }
    focus_bridge_message(a->focus, handle, msg);
}

static void hub_on_heartbeat(void *user, int handle, const heartbeat *hb)
{
    app *a = user;
    focus_bridge_report(a->focus, handle, (int)hb->endpoints, hb->cpu, hb->draining);
    int slot = -1;
    for (int i = 0; i < FOCUS_MAX_BRIDGES && slot < 0; i++)
        if (a->beats[i].handle == handle)
            slot = i;
    for (int i = 0; i < FOCUS_MAX_BRIDGES && slot < 0; i++)
        if (a->beats[i].handle == 0 || !focus_bridge_known(a->focus, a->beats[i].handle))
            slot = i;
    if (slot >= 0) {
        a->beats[slot].handle = handle;
        a->beats[slot].hb = *hb;
    }
}

static void hub_on_lost(void *user, int handle, const char *why)
{
    app *a = user;
    (void)why;   /* logged by the hub */
    if (!a->closing)   /* at shutdown every link closes: nobody is moved */
        focus_bridge_lost(a->focus, handle);
}

static void on_wake(void *user)
{
    app *a = user;
    json_t *req;
    if (!a->bridge)
        return;   /* stoa focus: no bridge in this process */
    bridge_poll(a->bridge);
    while ((req = queue_pop(&a->to_bridge)) != NULL)
        bridge_handle(a->bridge, req);
}

/* Prometheus text exposition of the service's counters. */
static char *metrics_text(void *user)
{
    app *a = user;
    bridge_counters c = { 0 };
    if (a->bridge)
        bridge_get_counters(a->bridge, &c);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fprintf(out,
            "# HELP stoa_rooms Rooms with at least one participant.\n# TYPE stoa_rooms gauge\nstoa_rooms %zu\n"
            "# HELP stoa_participants Participants in rooms.\n# TYPE stoa_participants gauge\n"
            "stoa_participants %zu\n"
            "# HELP stoa_signalling_connections Open signalling WebSockets.\n"
            "# TYPE stoa_signalling_connections gauge\nstoa_signalling_connections %d\n",
            focus_room_count(a->focus), focus_participant_count(a->focus), http_server_connections(a->http));
    const struct { const char *name, *help; uint64_t value; } counters[] = {
        { "stoa_media_datagrams_received_total", "UDP datagrams and TCP frames received by the bridge.", c.rx_datagrams },
        { "stoa_rtp_forwarded_total", "RTP packets sent to receivers.", c.rtp_forwarded },
        { "stoa_nacked_packets_total", "Packets receivers asked for again (NACK).", c.nacks_received },
        { "stoa_retransmitted_packets_total", "NACKed packets resent from the bridge's cache.", c.retransmitted },
        { "stoa_nacks_sent_packets_total", "Packets the bridge asked senders for again.", c.nacks_sent },
        { "stoa_twcc_feedback_sent_total", "Transport-wide congestion control feedback packets sent to senders.",
          c.twcc_feedback_sent },
        { "stoa_probe_packets_total", "Padding packets sent to probe receivers' bandwidth.", c.probe_packets },
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name, counters[i].help,
                counters[i].name, counters[i].name, (unsigned long long)counters[i].value);
    if (a->bridge) {
        /* Per worker: a conference spread over workers shows on each. */
        fprintf(out, "# HELP stoa_worker_rtp_forwarded_total RTP packets each media worker sent.\n"
                     "# TYPE stoa_worker_rtp_forwarded_total counter\n");
        uint64_t fwd, relayed;
        for (int i = 0; bridge_get_worker_forwarded(a->bridge, i, &fwd, &relayed); i++)
            fprintf(out, "stoa_worker_rtp_forwarded_total{worker=\"%d\"} %llu\n", i, (unsigned long long)fwd);
        fprintf(out, "# HELP stoa_worker_relay_bytes_total Bytes each media worker relayed to the other workers "
                     "of its conferences.\n# TYPE stoa_worker_relay_bytes_total counter\n");
        for (int i = 0; bridge_get_worker_forwarded(a->bridge, i, &fwd, &relayed); i++)
            fprintf(out, "stoa_worker_relay_bytes_total{worker=\"%d\"} %llu\n", i, (unsigned long long)relayed);
    }
    fprintf(out, "# HELP stoa_forward_delay_seconds Time forwarded RTP packets spent in the bridge, from the "
                 "kernel's receive time to the end of their send.\n# TYPE stoa_forward_delay_seconds histogram\n");
    uint64_t cumulative = 0;
    for (int k = 0; k < FORWARD_DELAY_BUCKETS; k++) {
        cumulative += c.forward_delay[k];
        if (k < FORWARD_DELAY_BUCKETS - 1)
            fprintf(out, "stoa_forward_delay_seconds_bucket{le=\"%g\"} %llu\n", forward_delay_bounds_us[k] / 1e6,
                    (unsigned long long)cumulative);
        else
            fprintf(out, "stoa_forward_delay_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
    }
    fprintf(out, "stoa_forward_delay_seconds_sum %.6f\nstoa_forward_delay_seconds_count %llu\n",
            c.forward_delay_us_sum / 1e6, (unsigned long long)cumulative);
    fprintf(out, "# HELP stoa_media_dropped_total Media packets dropped and requests refused, by reason "
                 "(docs/security.md).\n# TYPE stoa_media_dropped_total counter\n");
    for (int k = 0; k < MEDIA_DROP_REASONS; k++)
        fprintf(out, "stoa_media_dropped_total{reason=\"%s\"} %llu\n", media_drop_names[k],
                (unsigned long long)c.dropped[k]);
    /* Refusals of the control thread (docs/security.md), one label per reason. */
    fprintf(out, "# HELP stoa_refused_total Requests and connections refused by a limit, by reason.\n"
                 "# TYPE stoa_refused_total counter\n");
    for (int r = 0; r < REFUSAL_COUNT; r++)
        fprintf(out, "stoa_refused_total{reason=\"%s\"} %llu\n", refusal_name((enum refusal)r),
                (unsigned long long)a->refused.count[r]);
    json_t *topology = focus_topology(a->focus);
    size_t i;
    json_t *b;
    fprintf(out, "# HELP stoa_bridge_participants Participants the focus placed on each bridge.\n"
                 "# TYPE stoa_bridge_participants gauge\n");
    json_array_foreach(json_object_get(topology, "bridges"), i, b)
        fprintf(out, "stoa_bridge_participants{bridge=\"%s\",region=\"%s\"} %lld\n",
                json_string_value(json_object_get(b, "id")), json_string_value(json_object_get(b, "region")),
                (long long)json_integer_value(json_object_get(b, "participants")));
    fprintf(out, "# HELP stoa_bridge_endpoints Endpoints each bridge reported in its last heartbeat.\n"
                 "# TYPE stoa_bridge_endpoints gauge\n");
    json_array_foreach(json_object_get(topology, "bridges"), i, b)
        fprintf(out, "stoa_bridge_endpoints{bridge=\"%s\"} %lld\n", json_string_value(json_object_get(b, "id")),
                (long long)json_integer_value(json_object_get(b, "endpoints")));
    fprintf(out, "# HELP stoa_bridge_cpu Share of its cores each bridge reported using.\n"
                 "# TYPE stoa_bridge_cpu gauge\n");
    json_array_foreach(json_object_get(topology, "bridges"), i, b)
        fprintf(out, "stoa_bridge_cpu{bridge=\"%s\"} %.3f\n", json_string_value(json_object_get(b, "id")),
                json_number_value(json_object_get(b, "cpu")));
    fprintf(out, "# HELP stoa_bridge_draining Whether each bridge is draining (1) or takes participants (0).\n"
                 "# TYPE stoa_bridge_draining gauge\n");
    json_array_foreach(json_object_get(topology, "bridges"), i, b)
        fprintf(out, "stoa_bridge_draining{bridge=\"%s\"} %d\n", json_string_value(json_object_get(b, "id")),
                json_is_true(json_object_get(b, "draining")));
    static const struct { const char *name, *help; } rates[] = {
        { "stoa_bridge_packets_in", "Packets per second each bridge received, from its last heartbeat." },
        { "stoa_bridge_packets_out", "RTP packets per second each bridge forwarded, from its last heartbeat." },
        { "stoa_bridge_bits_in", "Bits per second each bridge received, from its last heartbeat." },
        { "stoa_bridge_bits_out", "Bits per second each bridge forwarded, from its last heartbeat." },
        { "stoa_bridge_relays", "Relays to other bridges each bridge has open (one per conference and other bridge)." },
        { "stoa_bridge_relay_bits_in", "Bits per second each bridge received over its relays." },
        { "stoa_bridge_relay_bits_out", "Bits per second each bridge sent over its relays." },
        { "stoa_bridge_relay_rtt_ms", "Mean round trip of each bridge's relays, in milliseconds (0: not measured)." },
    };
    for (int k = 0; k < 8; k++) {
        fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", rates[k].name, rates[k].help, rates[k].name);
        json_array_foreach(json_object_get(topology, "bridges"), i, b) {
            int handle = (int)json_integer_value(json_object_get(b, "handle"));
            for (int s = 0; s < FOCUS_MAX_BRIDGES; s++) {
                if (a->beats[s].handle != handle)
                    continue;
                const heartbeat *hb = &a->beats[s].hb;
                const uint64_t values[8] = { hb->packets_in, hb->packets_out, hb->bits_in, hb->bits_out, hb->relays,
                                             hb->relay_bits_in, hb->relay_bits_out, hb->relay_rtt_ms };
                uint64_t v = values[k];
                fprintf(out, "%s{bridge=\"%s\"} %llu\n", rates[k].name, json_string_value(json_object_get(b, "id")),
                        (unsigned long long)v);
            }
        }
    }
    json_decref(topology);
    fclose(out);
    return text;
}

/* Which participant is on which bridge, for the operator (GET /topology). */
static char *topology_text(void *user)
{
    app *a = user;
    json_t *t = focus_topology(a->focus);
    char *text = t ? json_dumps(t, JSON_INDENT(1)) : NULL;
    json_decref(t);
    return text;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_json(void *item) { json_decref(item); }

int main(int argc, char **argv)
{
    stoa_config cfg;
    int rc = config_parse(argc, argv, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    log_set_level((enum log_level)cfg.log_level);
    signal(SIGPIPE, SIG_IGN);

    if (cfg.role == ROLE_BRIDGE)
        return role_bridge_run(&cfg);

    static app a;
    region_map *regions = NULL;
    if (cfg.n_region_map > 0 && !(regions = region_map_new()))
        return 1;
    for (int i = 0; i < cfg.n_region_map; i++) {
        char err[160];
        if (region_map_add(regions, cfg.region_map[i], err, sizeof err) < 0) {
            fprintf(stderr, "stoa: --region-map: %s\n", err);
            region_map_free(regions);
            return 2;
        }
    }
    if (cfg.role == ROLE_FOCUS) {
        link_secret secret;
        char err[160];
        if (link_secret_load(cfg.secret_file, &secret, err, sizeof err) < 0) {
            fprintf(stderr, "stoa: %s\n", err);
            region_map_free(regions);
            return 2;
        }
        link_hub_callbacks hcb = { .on_hello = hub_on_hello, .on_linked = hub_on_linked, .on_message = hub_on_message,
                                   .on_heartbeat = hub_on_heartbeat, .on_lost = hub_on_lost, .user = &a };
        a.hub = link_hub_new(&secret, &hcb);
        link_secret_clear(&secret);
        if (!a.hub) {
            region_map_free(regions);
            return 1;
        }
    }
    queue_init(&a.to_bridge, false);
    http_server_config hc = {
        .port = cfg.http_port, .tls_cert = cfg.tls_cert, .tls_key = cfg.tls_key,
        .web_root = cfg.web_root, .on_wake = on_wake, .on_tick = on_tick, .tick_ms = 250, .topology = topology_text, .metrics = metrics_text, .user = &a,
        .max_connections = http_reserve_descriptors(cfg.max_connections),
        .max_connections_per_address = cfg.max_connections_per_address,
        .join_timeout_s = cfg.join_timeout, .refused = &a.refused,
        .bridges = a.hub, .region_map = regions, .region_header = cfg.region_header,
    };
    a.http = http_server_new(&hc);
    const char *ips[CONFIG_MAX_PUBLIC_IPS];
    for (int i = 0; i < cfg.n_public_ips; i++)
        ips[i] = cfg.public_ips[i];
    bridge_config bc = {
        .workers = cfg.workers, .media_port = (uint16_t)cfg.media_port, .public_ips = ips,
        .n_public_ips = cfg.n_public_ips, .consent_timeout_ms = 30000, .remb_bitrate = 2000000,
        .worker_participants = cfg.worker_participants,
    };
    if (a.http && !a.hub)
        a.bridge = bridge_new(&bc, link_deliver, wake_http, &a);
    focus_callbacks fc = { .send = http_ws_send, .close = http_ws_close, .bridge_send = link_send, .user = &a,
                           .queued = http_ws_queued };
    if (a.bridge || a.hub)
        a.focus = focus_new(&fc);
    if (!a.http || !(a.bridge || a.hub) || !a.focus) {
        log_error("stoa", "startup failed");
        focus_free(a.focus);
        bridge_free(a.bridge);
        http_server_free(a.http);
        queue_destroy(&a.to_bridge, free_json);
        link_hub_free(a.hub);
        region_map_free(regions);
        return 1;
    }
    http_server_set_focus(a.http, a.focus);
    if (a.bridge)
        a.local_bridge = focus_bridge_add(a.focus, &(focus_bridge_info){ .id = "local", .region = "",
                                                                         .capacity = 100000 });
    else
        log_info("stoa", "focus without media: bridges link at ws%s://<this host>:%d%s", cfg.tls_cert ? "s" : "",
                 cfg.http_port, LINK_PATH);
    focus_set_default_last_n(a.focus, cfg.last_n);
    focus_set_room_capacity(a.focus, cfg.room_capacity);
    focus_set_max_rooms(a.focus, cfg.max_rooms);
    focus_set_refusals(a.focus, &a.refused);
    focus_set_simulcast(a.focus, cfg.simulcast);
    if (cfg.n_turn_uris > 0) {
        focus_turn turn = { .n_uris = cfg.n_turn_uris, .secret = cfg.turn_secret, .ttl_seconds = cfg.turn_ttl };
        for (int i = 0; i < cfg.n_turn_uris; i++)
            turn.uris[i] = cfg.turn_uris[i];
        focus_set_turn(a.focus, &turn);
        log_info("stoa", "handing out TURN credentials for %s%s", cfg.turn_uris[0], cfg.n_turn_uris > 1 ? " and more" : "");
    }
    for (int i = 0; a.bridge && i < cfg.n_public_ips; i++)
        log_info("stoa", "advertising media address %s", cfg.public_ips[i]);

    signal_target = a.http;
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    while (!stop_requested)
        if (http_server_service(a.http) < 0)
            break;

    /* Tell everyone, then give the goodbyes a moment to leave. */
    log_info("stoa", "shutting down");
    focus_shutdown(a.focus);
    int64_t deadline = mono_ms() + 1000;
    while (http_server_connections(a.http) > 0 && mono_ms() < deadline)
        http_server_service(a.http);
    signal_target = NULL;
    /* Workers first: after this no thread wakes the HTTP loop. */
    a.closing = true;
    bridge_free(a.bridge);
    http_server_free(a.http);       /* closes what is left; the focus hears of each */
    focus_free(a.focus);
    queue_destroy(&a.to_bridge, free_json);
    link_hub_free(a.hub);
    region_map_free(regions);
    log_info("stoa", "stopped");
    return 0;
}
