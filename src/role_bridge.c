/* stoa bridge: the media bridge alone, linked out to one or more focus
 * nodes (link_client.c). Requests from each focus are renumbered so that two
 * focus nodes' ids cannot collide, and the responses go back to the focus
 * that asked; events go to every linked focus, which keeps those about its
 * own endpoints. Heartbeats carry the bridge's load. */
#include "role_bridge.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "core/log.h"
#include "focus/placement.h"
#include "link/heartbeat.h"
#include "link/link_client.h"

#define INFLIGHT_MAX 4096              /* requests being handled at once, all links */

typedef struct inflight {
    json_int_t local;              /* 0: free */
    json_int_t remote;             /* the focus's id */
    int link;
} inflight;

typedef struct bridge_role {
    bridge *bridge;
    link_client *links;
    int n_links;
    int heartbeat_ms[LINK_CLIENT_MAX_FOCUS];   /* 0: not linked */
    int64_t next_heartbeat_ms[LINK_CLIENT_MAX_FOCUS];
    uint64_t heartbeat_seq[LINK_CLIENT_MAX_FOCUS];
    inflight inflight[INFLIGHT_MAX];
    json_int_t next_local;
    /* For the rates of the next heartbeat. */
    bridge_counters last_counters;
    cpu_sample last_cpu;
    int workers;
    bool draining;
} bridge_role;

static volatile sig_atomic_t stop_requested, drain_signal, move_signal;
static link_client *signal_target;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        drain_signal = 1;
    else if (sig == SIGUSR2)
        move_signal = 1;
    else
        stop_requested = 1;
    if (signal_target)
        link_client_wake(signal_target);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_to_all(bridge_role *r, json_t *msg)
{
    for (int i = 0; i < r->n_links; i++)
        if (r->heartbeat_ms[i] > 0)
            link_client_send(r->links, i, json_incref(msg));
    json_decref(msg);
}

/* The bridge's responses and events. */
static void on_emit(void *user, json_t *msg)
{
    bridge_role *r = user;
    json_t *id = json_object_get(msg, "id");
    if (!json_is_integer(id)) {
        send_to_all(r, msg);
        return;
    }
    json_int_t local = json_integer_value(id);
    for (int i = 0; i < INFLIGHT_MAX; i++) {
        inflight *f = &r->inflight[i];
        if (f->local == local) {
            json_object_set_new(msg, "id", json_integer(f->remote));
            link_client_send(r->links, f->link, msg);
            f->local = 0;
            return;
        }
    }
    json_decref(msg);   /* its focus is gone */
}

static void on_wake_bridge(void *user)
{
    bridge_role *r = user;
    if (r->links)
        link_client_wake(r->links);
}

static void on_linked(void *user, int link, int heartbeat_ms)
{
    bridge_role *r = user;
    r->heartbeat_ms[link] = heartbeat_ms;
    r->next_heartbeat_ms[link] = mono_ms();
}

static void on_unlinked(void *user, int link)
{
    bridge_role *r = user;
    r->heartbeat_ms[link] = 0;
    r->heartbeat_seq[link] = 0;
    for (int i = 0; i < INFLIGHT_MAX; i++)
        if (r->inflight[i].local && r->inflight[i].link == link)
            r->inflight[i].local = 0;
}

static void respond_error(bridge_role *r, int link, json_t *id, const char *code, const char *message)
{
    link_client_send(r->links, link, json_pack("{s:s, s:O, s:s, s:s}", "type", "error", "id", id, "code", code,
                                               "message", message));
}

/* A request from a focus: renumbered, then handled like the in-process one. */
static void on_message(void *user, int link, json_t *msg)
{
    bridge_role *r = user;
    json_t *id = json_object_get(msg, "id");
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!json_is_integer(id) || !type) {
        link_client_send(r->links, link, json_pack("{s:s, s:s, s:s}", "type", "link-error", "code", "bad-message",
                                                   "message", "a request needs an integer id and a type"));
        json_decref(msg);
        return;
    }
    inflight *slot = NULL;
    for (int i = 0; i < INFLIGHT_MAX && !slot; i++)
        if (r->inflight[i].local == 0)
            slot = &r->inflight[i];
    if (!slot) {
        respond_error(r, link, id, "unavailable", "too many requests in flight");
        json_decref(msg);
        return;
    }
    slot->local = ++r->next_local;
    slot->remote = json_integer_value(id);
    slot->link = link;
    json_object_set_new(msg, "id", json_integer(slot->local));
    bridge_handle(r->bridge, msg);
}

static uint64_t per_second(uint64_t now, uint64_t before, int64_t ms)
{
    return ms > 0 && now >= before ? (now - before) * 1000 / (uint64_t)ms : 0;
}

static void send_heartbeats(bridge_role *r, int64_t now)
{
    bool due = false;
    for (int i = 0; i < r->n_links; i++)
        due |= r->heartbeat_ms[i] > 0 && now >= r->next_heartbeat_ms[i];
    if (!due)
        return;
    bridge_counters c;
    cpu_sample cpu;
    bridge_get_counters(r->bridge, &c);
    cpu_sample_now(&cpu);
    int64_t ms = (cpu.wall_us - r->last_cpu.wall_us) / 1000;
    heartbeat hb = {
        .packets_in = per_second(c.rx_datagrams, r->last_counters.rx_datagrams, ms),
        .packets_out = per_second(c.rtp_forwarded, r->last_counters.rtp_forwarded, ms),
        .bits_in = 8 * per_second(c.rx_bytes, r->last_counters.rx_bytes, ms),
        .bits_out = 8 * per_second(c.rtp_forwarded_bytes, r->last_counters.rtp_forwarded_bytes, ms),
        .relay_bits_in = 8 * per_second(c.relay_bytes_in, r->last_counters.relay_bytes_in, ms),
        .relay_bits_out = 8 * per_second(c.relay_bytes_out, r->last_counters.relay_bytes_out, ms),
        .relays = (uint32_t)c.relays,
        .relay_rtt_ms = c.relays ? (uint32_t)(c.relay_rtt_ms_sum / c.relays) : 0,
        .cpu = cpu_share(&r->last_cpu, &cpu, r->workers),
        .draining = r->draining,
    };
    int endpoints, conferences;
    bridge_get_load(r->bridge, &endpoints, &conferences);
    hb.endpoints = (uint32_t)endpoints;
    hb.conferences = (uint32_t)conferences;
    r->last_counters = c;
    r->last_cpu = cpu;
    for (int i = 0; i < r->n_links; i++) {
        if (r->heartbeat_ms[i] <= 0 || now < r->next_heartbeat_ms[i])
            continue;
        hb.seq = ++r->heartbeat_seq[i];
        r->next_heartbeat_ms[i] = now + r->heartbeat_ms[i];
        link_client_send(r->links, i, heartbeat_to_json(&hb));
    }
}

static void on_tick(void *user)
{
    bridge_role *r = user;
    if (drain_signal) {
        drain_signal = 0;
        r->draining = !r->draining;
        log_info("stoa", "%s (SIGUSR1)", r->draining ? "draining: no new participants" : "no longer draining");
        for (int i = 0; i < r->n_links; i++)
            r->next_heartbeat_ms[i] = 0;   /* say it now */
    }
    if (move_signal) {
        move_signal = 0;
        r->draining = true;
        log_info("stoa", "draining and asking the focus to move participants away now (SIGUSR2)");
        send_to_all(r, json_pack("{s:s, s:b}", "type", "drain", "move", 1));
    }
    send_heartbeats(r, mono_ms());
}

static void on_wake(void *user)
{
    bridge_role *r = user;
    if (r->bridge)
        bridge_poll(r->bridge);
    on_tick(r);
}

/* The bridge's default name: host name and first media port, in the
 * characters a bridge id allows. */
static void default_bridge_id(char out[LINK_BRIDGE_ID_MAX + 1], int media_port)
{
    char host[64] = "bridge";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.' || *p == '_'))
            *p = '-';
    snprintf(out, LINK_BRIDGE_ID_MAX + 1, "%.40s-%d", host[0] ? host : "bridge", media_port);
}

static int make_hello(const stoa_config *cfg, link_hello *h)
{
    memset(h, 0, sizeof *h);
    h->version = LINK_VERSION;
    h->minor = LINK_MINOR;
    if (cfg->bridge_id)
        snprintf(h->bridge, sizeof h->bridge, "%s", cfg->bridge_id);
    else
        default_bridge_id(h->bridge, cfg->media_port);
    if (cfg->region && !placement_region_valid(cfg->region)) {
        fprintf(stderr, "stoa: --region must be 1 to 32 of letters, digits, _ . -\n");
        return -1;
    }
    snprintf(h->region, sizeof h->region, "%s", cfg->region ? cfg->region : "");
    h->capacity = cfg->capacity;
    for (int i = 0; i < cfg->n_public_ips && i < LINK_MAX_ADDRESSES; i++)
        snprintf(h->addresses[h->n_addresses++], LINK_ADDRESS_MAX, "%s", cfg->public_ips[i]);
    for (int i = 0; i < cfg->workers && i < LINK_MAX_MEDIA_PORTS; i++)
        h->media_ports[h->n_media_ports++] = (uint16_t)(cfg->media_port + i);
    return 0;
}

int role_bridge_run(const stoa_config *cfg)
{
    static bridge_role r;
    link_secret secret;
    char err[160];
    link_hello hello;
    if (link_secret_load(cfg->secret_file, &secret, err, sizeof err) < 0) {
        fprintf(stderr, "stoa: %s\n", err);
        return 2;
    }
    if (make_hello(cfg, &hello) < 0) {
        link_secret_clear(&secret);
        return 2;
    }
    r.n_links = cfg->n_focus_urls;
    r.workers = cfg->workers;
    cpu_sample_now(&r.last_cpu);
    link_client_config lc = { .urls = cfg->focus_urls, .n_urls = cfg->n_focus_urls, .secret = &secret,
                              .hello = &hello, .ca_file = cfg->ca_file, .tick_ms = 100 };
    link_client_callbacks cb = { .on_linked = on_linked, .on_message = on_message, .on_unlinked = on_unlinked,
                                 .on_wake = on_wake, .on_tick = on_tick, .user = &r };
    const char *ips[CONFIG_MAX_PUBLIC_IPS];
    for (int i = 0; i < cfg->n_public_ips; i++)
        ips[i] = cfg->public_ips[i];
    bridge_config bc = {
        .workers = cfg->workers, .media_port = (uint16_t)cfg->media_port, .public_ips = ips,
        .n_public_ips = cfg->n_public_ips, .consent_timeout_ms = 30000, .remb_bitrate = 2000000,
        .worker_participants = cfg->worker_participants,
    };
    r.bridge = bridge_new(&bc, on_emit, on_wake_bridge, &r);
    if (r.bridge)
        r.links = link_client_new(&lc, &cb);
    link_secret_clear(&secret);
    if (!r.bridge || !r.links) {
        log_error("stoa", "startup failed");
        link_client_free(r.links);
        bridge_free(r.bridge);
        return 1;
    }
    log_info("stoa", "bridge %s (region %s, capacity %d) linking to %d focus node%s", hello.bridge,
             hello.region[0] ? hello.region : "none", hello.capacity, cfg->n_focus_urls,
             cfg->n_focus_urls > 1 ? "s" : "");

    signal_target = r.links;
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    while (!stop_requested)
        if (link_client_service(r.links) < 0)
            break;
    log_info("stoa", "shutting down");
    signal_target = NULL;
    bridge_free(r.bridge);          /* workers first: nothing wakes the loop after this */
    r.bridge = NULL;
    link_client_free(r.links);
    log_info("stoa", "stopped");
    return 0;
}
