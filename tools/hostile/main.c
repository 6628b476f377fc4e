/* stoa-hostile: see hostile.h. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "hostile.h"
#include "sig.h"
#include "core/log.h"
#include "core/random.h"

/* The stamps we send name a publisher no victim run has: whatever of ours
 * reaches a stoa-load receiver counts there as foreign. */
#define HOSTILE_PUBLISHER_INDEX 1000000

load_run *g_run;
hostile_opts g_opts;
hostile_stats g_stats;

static const struct { const char *name; enum scenario sc; bool joins; int rate; } scenarios[] = {
    { "oversize", SC_OVERSIZE, true, 2 },
    { "foreign-ssrc", SC_FOREIGN_SSRC, true, 0 },
    { "nack-storm", SC_NACK_STORM, true, 10 },
    { "pli-storm", SC_PLI_STORM, true, 50 },
    { "ssrc-flood", SC_SSRC_FLOOD, true, 2500 },
    { "unknown-ufrag", SC_UFRAG_FLOOD, false, 20000 },
    { "conn-flood", SC_CONN_FLOOD, false, 0 },
    { "slow-http", SC_SLOW_HTTP, false, 0 },
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: stoa-hostile --scenario NAME --http-port P [options]\n"
        "\n"
        "Joins a Stoa room as a real participant (ICE, DTLS, SRTP) and misbehaves, or\n"
        "floods the server's ports, for a bounded time; prints one line of key=value.\n"
        "Scenarios: oversize, foreign-ssrc, nack-storm, pli-storm, ssrc-flood (these join),\n"
        "unknown-ufrag, conn-flood, slow-http (these do not).\n"
        "\n"
        "  --host A          the server's address, in 127.0.0.0/8 (default 127.0.0.1)\n"
        "  --http-port P     its signalling port\n"
        "  --media-port P    its media port (unknown-ufrag)\n"
        "  --room-prefix R   join room R-0 (default: a room of its own)\n"
        "  --seconds S       how long the attack lasts (default 3)\n"
        "  --rate N          attack packets per second (default: the scenario's)\n"
        "  --count N         at most N attack packets, or N connections\n"
        "  --size N          oversize: the packet's length (default 60000)\n"
        "  --probe-ip A      the other address whose requests must be served (default 127.0.0.2)\n"
        "  --join-timeout S  (default 20)\n");
}

static bool loopback(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0;
}

static int parse_args(int argc, char **argv, load_config *c)
{
    enum { O_SC = 256, O_HOST, O_HTTP, O_MEDIA, O_ROOM, O_SECS, O_RATE, O_COUNT, O_SIZE, O_PROBE, O_JOINT };
    static const struct option opts[] = {
        { "scenario", required_argument, NULL, O_SC }, { "host", required_argument, NULL, O_HOST },
        { "http-port", required_argument, NULL, O_HTTP }, { "media-port", required_argument, NULL, O_MEDIA },
        { "room-prefix", required_argument, NULL, O_ROOM }, { "seconds", required_argument, NULL, O_SECS },
        { "rate", required_argument, NULL, O_RATE }, { "count", required_argument, NULL, O_COUNT },
        { "size", required_argument, NULL, O_SIZE }, { "probe-ip", required_argument, NULL, O_PROBE },
        { "join-timeout", required_argument, NULL, O_JOINT }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    g_opts = (hostile_opts){ .host = "127.0.0.1", .seconds = 3, .rate = -1, .size = 60000, .probe_ip = "127.0.0.2" };
    *c = (load_config){ .rooms = 1, .participants = 1, .publishers = 1, .seconds = 1, .video_kbps = 300, .fps = 15,
                        .join_interval_ms = 0, .join_timeout_s = 20, .media_threads = 1, .bind_ip = "127.0.0.1",
                        .audio_ptime_ms = 20 };
    const char *sc = NULL;
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case O_SC: sc = optarg; break;
        case O_HOST: snprintf(g_opts.host, sizeof g_opts.host, "%s", optarg); break;
        case O_HTTP: g_opts.http_port = atoi(optarg); break;
        case O_MEDIA: g_opts.media_port = atoi(optarg); break;
        case O_ROOM: snprintf(c->room_prefix, sizeof c->room_prefix, "%s", optarg); break;
        case O_SECS: g_opts.seconds = atof(optarg); break;
        case O_RATE: g_opts.rate = atoi(optarg); break;
        case O_COUNT: g_opts.count = atoi(optarg); break;
        case O_SIZE: g_opts.size = atoi(optarg); break;
        case O_PROBE: snprintf(g_opts.probe_ip, sizeof g_opts.probe_ip, "%s", optarg); break;
        case O_JOINT: c->join_timeout_s = atoi(optarg); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    for (size_t i = 0; sc && i < N_SCENARIOS; i++) {
        if (strcmp(sc, scenarios[i].name) != 0)
            continue;
        g_opts.scenario = scenarios[i].sc;
        g_opts.name = scenarios[i].name;
        if (g_opts.rate < 0)
            g_opts.rate = scenarios[i].rate;
    }
    /* Bounded by construction: a short attack, at the loopback only. */
    if (!g_opts.name || g_opts.http_port <= 0 || g_opts.seconds <= 0 || g_opts.seconds > 30 ||
        g_opts.rate > 100000 || g_opts.count > 100000 || !loopback(g_opts.host) || !loopback(g_opts.probe_ip)) {
        usage(stderr);
        return -1;
    }
    snprintf(c->url, sizeof c->url, "ws://%s:%d/ws", g_opts.host, g_opts.http_port);
    snprintf(c->host, sizeof c->host, "%s", g_opts.host);
    snprintf(c->path, sizeof c->path, "/ws");
    c->port = g_opts.http_port;
    if (!c->room_prefix[0])
        snprintf(c->room_prefix, sizeof c->room_prefix, "hostile-%d", (int)getpid());
    return 0;
}

static struct lws_context *lws_ctx;
static lws_sorted_usec_list_t tick_sul;

/* Wakes lws_service every 10 ms, so that the loops below see time pass. */
static void tick(lws_sorted_usec_list_t *sul)
{
    lws_sul_schedule(lws_ctx, 0, sul, tick, 10 * LWS_US_PER_MS);
}

static void service_for(int64_t ns)
{
    int64_t end = mono_ns() + ns;
    while (mono_ns() < end) {
        lws_service(lws_ctx, 0);
        sig_tick_all(g_run, mono_ns());
    }
}

/* Joined and connected, or nothing more will come (failed, or refused and
 * not connected a few seconds later). */
static bool settled(const participant *p, int64_t refused_at)
{
    if (p->failed)
        return true;
    if (p->joined && p->n_pcs > 0 && atomic_load(&p->connected_pcs) == p->n_pcs)
        return true;
    return refused_at && mono_ns() - refused_at > 5000000000LL;
}

static int run_joined(load_run *run)
{
    participant *p = &run->parts[0];
    load_config *c = &run->cfg;
    switch (g_opts.scenario) {
    case SC_OVERSIZE:
        c->ice_tcp = true;               /* the only transport that carries such a packet */
        c->audio_only = true;            /* a declared source, so that the bridge forwards it */
        break;
    case SC_FOREIGN_SSRC:
        break;
    default:
        p->publishes = false;            /* a receiver */
        break;
    }
    if (media_start(run) < 0)
        return -1;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = sig_protocols;
    lws_ctx = lws_create_context(&info);
    if (!lws_ctx || sig_connect(run, p, &sig_stoa, lws_ctx) < 0)
        return -1;
    lws_sul_schedule(lws_ctx, 0, &tick_sul, tick, 10 * LWS_US_PER_MS);
    int64_t deadline = mono_ns() + (int64_t)c->join_timeout_s * 1000000000LL, refused_at = 0;
    while (!settled(p, refused_at) && mono_ns() < deadline) {
        lws_service(lws_ctx, 0);
        sig_tick_all(run, mono_ns());
        if (g_stats.error_code[0] && !refused_at)
            refused_at = mono_ns();
    }
    bool connected = atomic_load(&p->connected_pcs) > 0;
    /* Receivers wait for the media they will turn against the bridge. */
    int64_t media_deadline = mono_ns() + 3000000000LL;
    while (connected && !p->publishes && atomic_load(&p->first_media_ns) == 0 && mono_ns() < media_deadline)
        service_for(10000000LL);
    service_for(300000000LL);
    int64_t t0 = mono_ns();
    g_stats.attack_start_ns = t0;
    atomic_store(&g_stats.attacking, true);
    if (g_opts.scenario == SC_FOREIGN_SSRC)
        atomic_store(&run->publishing, true);
    service_for((int64_t)(g_opts.seconds * 1e9));
    atomic_store(&run->publishing, false);
    atomic_store(&g_stats.attacking, false);
    double attack_s = (double)(mono_ns() - t0) / 1e9;
    service_for(300000000LL);
    media_stop(run);
    sig_conn *sc = p->sig;
    if (sc && sc->open && !sc->closed)
        sc->proto->leave(sc);
    int64_t leave_end = mono_ns() + 1000000000LL;
    while (sc && !sc->closed && mono_ns() < leave_end)
        lws_service(lws_ctx, 0);
    lws_sul_cancel(&tick_sul);
    lws_context_destroy(lws_ctx);
    printf(" joined=%d connected=%d failed=%d attack_s=%.2f published=%llu", p->joined, connected, p->failed,
           attack_s, (unsigned long long)p->sent_packets);
    if (p->failed)
        printf(" why=\"%s\"", p->error);
    media_attacks_report(stdout);
    for (int i = 0; i < run->n_workers; i++)
        for (pc *x = run->workers[i].pcs, *next; x; x = next) {
            next = x->next_in_worker;
            pc_free(x);
        }
    sig_free(p);
    return 0;
}

int main(int argc, char **argv)
{
    static load_run run;
    g_run = &run;
    if (parse_args(argc, argv, &run.cfg) < 0)
        return 2;
    log_set_level(LOG_WARN);
    lws_set_log_level(LLL_ERR, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("scenario=%s", g_opts.name);
    int r;
    switch (g_opts.scenario) {
    case SC_UFRAG_FLOOD: r = flood_unknown_ufrag(stdout); break;
    case SC_CONN_FLOOD: r = flood_connections(stdout); break;
    case SC_SLOW_HTTP: r = flood_slow_http(stdout); break;
    default: {
        if (stoa_srtp_global_init() < 0 || !(run.dtls = dtls_ctx_new()))
            return 2;
        static participant me;
        me.index = HOSTILE_PUBLISHER_INDEX;
        me.publishes = true;
        me.audio_ssrc = random_u32() | 1;
        me.video_ssrc = random_u32() | 2;
        for (int k = 0; k < 3; k++)
            me.layer_ssrc[k] = random_u32() | 4;
        snprintf(me.name, sizeof me.name, "hostile-%s", g_opts.name);
        me.rx = calloc(STAMP_STREAMS, sizeof *me.rx);
        run.parts = &me;
        run.n_total = 1;
        run.n_workers = 1;
        run.hooks = &hostile_hooks;
        r = me.rx ? run_joined(&run) : -1;
        free(me.rx);
        free(run.workers);
        dtls_ctx_free(run.dtls);
        break;
    }
    }
    printf("\n");
    return r < 0 ? 1 : 0;
}
