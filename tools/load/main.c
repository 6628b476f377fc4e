/* stoa-load: simulated WebRTC participants for Stoa (and Janus's VideoRoom),
 * each a real endpoint (ICE, DTLS, SRTP) publishing stamped synthetic Opus
 * and VP8 and receiving the others', with a report of loss, one-way delay,
 * join time and the server's CPU time and memory. docs/benchmarks.md. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "load.h"
#include "sig.h"
#include "core/log.h"
#include "core/random.h"

load_run *g_run;
static volatile sig_atomic_t interrupted;

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: stoa-load [options]\n"
        "\n"
        "Simulated participants join rooms over WebSocket signalling, connect with\n"
        "ICE/DTLS/SRTP, publish stamped synthetic Opus (50 packets/s) and VP8, receive\n"
        "each other, and the run ends with a report.\n"
        "\n"
        "  --url URL            signalling WebSocket (default ws://127.0.0.1:8080/ws;\n"
        "                       Janus: ws://127.0.0.1:8188/)\n"
        "  --janus              speak the Janus VideoRoom API (subprotocol janus-protocol)\n"
        "  --rooms N            rooms (default 1)\n"
        "  --participants N     participants per room (default 3)\n"
        "  --publishers N       of which publish, per room (default: all)\n"
        "  --seconds S          measured seconds after everyone joined (default 10)\n"
        "  --video-kbps K       video bitrate per publisher (default 500)\n"
        "  --fps N              video frames per second (default 30)\n"
        "  --audio-only         publish no video\n"
        "  --audio-ptime MS     Opus packet interval, 10..120 (default 20)\n"
        "  --simulcast          publish video as three layers named by rid (1/8, 1/4, 5/8\n"
        "                       of --video-kbps; Stoa only): each subscriber gets one\n"
        "  --server-pid PID     report this process's CPU time and peak memory\n"
        "  --json               print the summary as one JSON object\n"
        "  --expect-complete    exit 1 unless everyone joined, nothing was lost and every\n"
        "                       subscriber received every publisher's streams\n"
        "  --join-interval-ms N pause between participants' connections (default 10)\n"
        "  --join-timeout S     give up waiting for joins after S seconds (default 20)\n"
        "  --threads N          media threads (default 1)\n"
        "  --janus-room N       first VideoRoom id to create (default: random)\n"
        "  --bind-ip A          local IPv4 address of the media sockets (default 127.0.0.1)\n"
        "  --room-prefix P      rooms are named P-0, P-1, ... (default load-<pid>)\n"
        "  --ice-tcp            media over ICE-TCP (the server's passive TCP candidate)\n"
        "  --source-addresses N signal from N loopback addresses, 127.0.1.1 up (a server\n"
        "                       caps connections per address)\n"
        "  --regions A,B,...    Stoa: participant i (all rooms counted) asks for the i-th\n"
        "                       region, round the list (?region= on its URL)\n"
        "  --view-height N      Stoa: say every camera is shown N lines tall, as a\n"
        "                       browser's grid does (receiver-constraints heights)\n"
        "  -v, --verbose        print failures as they happen\n"
        "  -h, --help           this text\n");
}

static int parse_int(const char *name, const char *v, int min, int max, int *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < min || x > max) {
        fprintf(stderr, "stoa-load: %s must be an integer in %d..%d\n", name, min, max);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int parse_url(load_config *c, const char *url)
{
    if (strncmp(url, "ws://", 5) != 0) {
        fprintf(stderr, "stoa-load: only ws:// URLs are supported\n");
        return -1;
    }
    snprintf(c->url, sizeof c->url, "%s", url);
    const char *h = url + 5, *slash = strchr(h, '/'), *colon = strchr(h, ':');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    if (colon && (!slash || colon < slash)) {
        hl = (size_t)(colon - h);
        char *end;
        long port = strtol(colon + 1, &end, 10);
        c->port = (end != colon + 1 && (*end == '/' || *end == '\0') && port > 0 && port < 65536) ? (int)port : -1;
    } else {
        c->port = 80;
    }
    if (hl == 0 || hl >= sizeof c->host || c->port <= 0 || c->port > 65535) {
        fprintf(stderr, "stoa-load: bad URL %s\n", url);
        return -1;
    }
    memcpy(c->host, h, hl);
    c->host[hl] = '\0';
    snprintf(c->path, sizeof c->path, "%s", slash ? slash : "/");
    return 0;
}

static int parse_args(load_config *c, int argc, char **argv)
{
    enum { O_URL = 256, O_JANUS, O_ROOMS, O_PARTS, O_PUBS, O_SECS, O_VKBPS, O_FPS, O_AUDIO, O_SIMULCAST, O_PID, O_JSON,
           O_EXPECT, O_JOINI, O_JOINT, O_THREADS, O_JROOM, O_BIND, O_ROOMP, O_ICETCP, O_SRCADDR, O_PTIME, O_VIEWH, O_REGIONS };
    static const struct option opts[] = {
        { "url", required_argument, NULL, O_URL },
        { "janus", no_argument, NULL, O_JANUS },
        { "rooms", required_argument, NULL, O_ROOMS },
        { "participants", required_argument, NULL, O_PARTS },
        { "publishers", required_argument, NULL, O_PUBS },
        { "seconds", required_argument, NULL, O_SECS },
        { "video-kbps", required_argument, NULL, O_VKBPS },
        { "fps", required_argument, NULL, O_FPS },
        { "audio-only", no_argument, NULL, O_AUDIO },
        { "simulcast", no_argument, NULL, O_SIMULCAST },
        { "server-pid", required_argument, NULL, O_PID },
        { "json", no_argument, NULL, O_JSON },
        { "expect-complete", no_argument, NULL, O_EXPECT },
        { "join-interval-ms", required_argument, NULL, O_JOINI },
        { "join-timeout", required_argument, NULL, O_JOINT },
        { "threads", required_argument, NULL, O_THREADS },
        { "janus-room", required_argument, NULL, O_JROOM },
        { "bind-ip", required_argument, NULL, O_BIND },
        { "room-prefix", required_argument, NULL, O_ROOMP },
        { "ice-tcp", no_argument, NULL, O_ICETCP },
        { "source-addresses", required_argument, NULL, O_SRCADDR },
        { "regions", required_argument, NULL, O_REGIONS },
        { "audio-ptime", required_argument, NULL, O_PTIME },
        { "view-height", required_argument, NULL, O_VIEWH },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *c = (load_config){ .rooms = 1, .participants = 3, .publishers = -1, .seconds = 10, .video_kbps = 500,
                        .fps = 30, .join_interval_ms = 10, .join_timeout_s = 20, .media_threads = 1,
                        .bind_ip = "127.0.0.1", .audio_ptime_ms = 20 };
    bool url_given = false;
    const char *url = "ws://127.0.0.1:8080/ws";
    int o, r = 0;
    while ((o = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        switch (o) {
        case O_URL: url = optarg; url_given = true; break;
        case O_JANUS: c->janus = true; break;
        case O_ROOMS: r |= parse_int("--rooms", optarg, 1, 1000, &c->rooms); break;
        case O_PARTS: r |= parse_int("--participants", optarg, 1, LOAD_MAX_PARTICIPANTS, &c->participants); break;
        case O_PUBS: r |= parse_int("--publishers", optarg, 0, LOAD_MAX_PARTICIPANTS, &c->publishers); break;
        case O_SECS: r |= parse_int("--seconds", optarg, 1, 3600, &c->seconds); break;
        case O_VKBPS: r |= parse_int("--video-kbps", optarg, 0, 50000, &c->video_kbps); break;
        case O_FPS: r |= parse_int("--fps", optarg, 1, 120, &c->fps); break;
        case O_AUDIO: c->audio_only = true; break;
        case O_SIMULCAST: c->simulcast = true; break;
        case O_PID: r |= parse_int("--server-pid", optarg, 1, 1 << 30, &c->server_pid); break;
        case O_JSON: c->json = true; break;
        case O_EXPECT: c->expect_complete = true; break;
        case O_JOINI: r |= parse_int("--join-interval-ms", optarg, 0, 10000, &c->join_interval_ms); break;
        case O_JOINT: r |= parse_int("--join-timeout", optarg, 1, 600, &c->join_timeout_s); break;
        case O_THREADS: r |= parse_int("--threads", optarg, 1, 64, &c->media_threads); break;
        case O_JROOM: r |= parse_int("--janus-room", optarg, 1, 1 << 30, &c->janus_room_base); break;
        case O_BIND: snprintf(c->bind_ip, sizeof c->bind_ip, "%s", optarg); break;
        case O_ROOMP: snprintf(c->room_prefix, sizeof c->room_prefix, "%s", optarg); break;
        case O_ICETCP: c->ice_tcp = true; break;
        case O_PTIME: r |= parse_int("--audio-ptime", optarg, 10, 120, &c->audio_ptime_ms); break;
        case O_VIEWH: r |= parse_int("--view-height", optarg, 1, 8192, &c->view_height); break;
        case O_SRCADDR: r |= parse_int("--source-addresses", optarg, 1, 254, &c->source_addresses); break;
        case O_REGIONS: snprintf(c->regions, sizeof c->regions, "%s", optarg); break;
        case 'v': c->verbose = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (r)
        return -1;
    if (optind < argc) {
        fprintf(stderr, "stoa-load: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (!url_given && c->janus)
        url = "ws://127.0.0.1:8188/";
    if (parse_url(c, url) < 0)
        return -1;
    if (c->publishers < 0 || c->publishers > c->participants)
        c->publishers = c->participants;
    if ((long)c->rooms * c->participants > LOAD_MAX_PARTICIPANTS) {
        fprintf(stderr, "stoa-load: at most %d participants in all\n", LOAD_MAX_PARTICIPANTS);
        return -1;
    }
    if (c->video_kbps == 0)
        c->audio_only = true;
    if (c->simulcast && c->janus) {
        fprintf(stderr, "stoa-load: --simulcast is for Stoa only\n");
        return -1;
    }
    if (!c->janus_room_base)
        c->janus_room_base = 100000 + (int)(random_u32() % 1000000);
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static lws_sorted_usec_list_t tick_sul;
static struct lws_context *lws_ctx;

static void tick(lws_sorted_usec_list_t *sul)
{
    lws_sul_schedule(lws_ctx, 0, sul, tick, 10 * LWS_US_PER_MS);
}

static uint64_t rx_total(load_run *run)
{
    uint64_t n = 0;
    for (int i = 0; i < run->n_workers; i++)
        n += atomic_load(&run->workers[i].rx_rtp);
    return n;
}

static uint64_t tx_total(load_run *run)
{
    uint64_t n = 0;
    for (int i = 0; i < run->n_workers; i++)
        n += atomic_load(&run->workers[i].tx_rtp);
    return n;
}

/* Has p everything it should have by now: its transports up, and media from
 * someone when anyone else in its room publishes? */
static bool participant_ready(load_run *run, const participant *p)
{
    if (p->failed)
        return true;                     /* nothing more will come */
    if (!p->joined || p->n_pcs == 0 || atomic_load(&p->connected_pcs) < p->n_pcs)
        return false;
    int others = run->cfg.publishers - (p->publishes ? 1 : 0);
    return others <= 0 || atomic_load(&p->first_media_ns) != 0;
}

static uint64_t keyframe_requests_total(load_run *run)
{
    uint64_t n = 0;
    for (int i = 0; i < run->n_total; i++)
        n += atomic_load(&run->parts[i].keyframe_requests);
    return n;
}

static void service_for(int64_t ns)
{
    int64_t end = mono_ns() + ns;
    while (mono_ns() < end && !interrupted)
        lws_service(lws_ctx, 0);
}

typedef struct summary {
    int joined, failed, total;
    uint64_t sent, received, lost, duplicates, reordered, foreign, undecryptable, rtcp;
    int missing_streams, expected_streams;
    /* The fewest other publishers' cameras (and microphones) any one
     * subscriber received, of others_max: every stream reaching everyone
     * shows as equal numbers. */
    int cameras_min, mics_min, others_max;
    uint64_t keyframe_requests;          /* PLI/FIR the publishers got during the window */
    lat_hist lat;
    double join_p50_ms, join_max_ms;
    int joins_measured;
    double window_s;
    uint64_t window_rx, window_tx;
    proc_sample cpu0, cpu1, cpu_end;
    proc_sample self0, self1;            /* the generator itself: it shares the cores */
    double machine0, machine1;
    bool have_server;
    double server_cpu_s;
    double load_cpu_s;                   /* the generator's own CPU time in the window */
    double other_cpu_s;                  /* busy time of everything else in the window (-1: unknown) */
    double fwd_per_cpu_s;
    bool complete;
} summary;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void summarise(load_run *run, summary *s)
{
    const load_config *c = &run->cfg;
    int streams = c->audio_only ? 1 : 2;
    lat_hist_init(&s->lat);
    for (int i = 0; i < run->n_workers; i++)
        lat_hist_merge(&s->lat, &run->workers[i].lat);
    double *joins = calloc((size_t)run->n_total, sizeof *joins);
    s->total = run->n_total;
    s->cameras_min = s->mics_min = -1;
    for (int i = 0; i < run->n_total; i++) {
        participant *p = &run->parts[i];
        s->joined += p->joined && !p->failed;
        s->failed += p->failed;
        s->sent += p->sent_packets;
        s->received += p->rx_packets;
        s->foreign += p->rx_foreign;
        s->undecryptable += p->undecryptable;
        s->rtcp += p->rtcp_packets;
        int cameras = 0, mics = 0, others = 0;
        int64_t first = atomic_load(&p->first_media_ns);
        if (first && p->ws_open_ns && joins)
            joins[s->joins_measured++] = (double)(first - p->ws_open_ns) / 1e6;
        for (int j = 0; j < run->n_total; j++) {
            participant *q = &run->parts[j];
            if (q == p || q->room != p->room || !q->publishes)
                continue;
            others++;
            mics += p->rx[j * STAMP_STREAMS + STAMP_AUDIO].started;
            cameras += streams > 1 && p->rx[j * STAMP_STREAMS + STAMP_VIDEO].started;
            for (int k = 0; k < streams; k++) {
                seq_tracker *t = &p->rx[j * STAMP_STREAMS + k];
                s->duplicates += t->duplicates;
                s->reordered += t->reordered;
                if (q->failed || p->failed)
                    continue;
                s->expected_streams++;
                if (!t->started) {
                    s->missing_streams++;
                    continue;
                }
                /* Simulcast video is tracked by the RTP numbers of the one
                 * stream the bridge makes of the layers (media.c): loss is
                 * what is missing up to the last one received. */
                s->lost += c->simulcast && k == STAMP_VIDEO ? seq_tracker_lost(t, (uint32_t)t->highest)
                                                            : seq_tracker_lost(t, q->sent_seq[k] - 1);
            }
        }
        if (others > s->others_max)
            s->others_max = others;
        if (s->cameras_min < 0 || cameras < s->cameras_min)
            s->cameras_min = cameras;
        if (s->mics_min < 0 || mics < s->mics_min)
            s->mics_min = mics;
    }
    if (s->joins_measured) {
        qsort(joins, (size_t)s->joins_measured, sizeof *joins, cmp_double);
        s->join_p50_ms = joins[(s->joins_measured - 1) / 2];
        s->join_max_ms = joins[s->joins_measured - 1];
    }
    free(joins);
    s->have_server = s->cpu0.ok && s->cpu1.ok;
    if (s->have_server) {
        s->server_cpu_s = s->cpu1.cpu_s - s->cpu0.cpu_s;
        s->fwd_per_cpu_s = s->server_cpu_s > 0 ? (double)s->window_rx / s->server_cpu_s : 0;
    }
    s->load_cpu_s = s->self0.ok && s->self1.ok ? s->self1.cpu_s - s->self0.cpu_s : 0;
    s->other_cpu_s = -1;
    if (s->machine0 >= 0 && s->machine1 >= 0) {
        double other = s->machine1 - s->machine0 - s->load_cpu_s - (s->have_server ? s->server_cpu_s : 0);
        s->other_cpu_s = other > 0 ? other : 0;   /* clock-tick rounding can make it slightly negative */
    }
    s->complete = s->failed == 0 && s->joined == s->total && s->lost == 0 && s->missing_streams == 0 &&
                  s->undecryptable == 0 && s->received > 0;
}

static void report_text(load_run *run, const summary *s)
{
    const load_config *c = &run->cfg;
    printf("stoa-load: %s %s: %d room(s) x %d participants (%d publishing), %d s, %s\n",
           c->janus ? "janus" : "stoa", c->url, c->rooms, c->participants, c->publishers, c->seconds,
           c->audio_only ? "audio only" : "audio + video");
    if (!c->audio_only)
        printf("  video: %d kbit/s at %d fps per publisher\n", c->video_kbps, c->fps);
    printf("  joined: %d/%d; join time (WebSocket open to first media) p50 %.1f ms, max %.1f ms\n", s->joined,
           s->total, s->join_p50_ms, s->join_max_ms);
    for (int i = 0; i < run->n_total; i++)
        if (run->parts[i].failed)
            printf("  failed: %s: %s\n", run->parts[i].name, run->parts[i].error);
    double exp = (double)(s->received + s->lost);
    printf("  packets: sent %llu, received %llu, lost %llu (%.3f%%), duplicates %llu, reordered %llu\n",
           (unsigned long long)s->sent, (unsigned long long)s->received, (unsigned long long)s->lost,
           exp > 0 ? 100.0 * (double)s->lost / exp : 0.0, (unsigned long long)s->duplicates,
           (unsigned long long)s->reordered);
    printf("  streams: %d expected, %d never received; foreign %llu, undecryptable %llu, rtcp %llu\n",
           s->expected_streams, s->missing_streams, (unsigned long long)s->foreign,
           (unsigned long long)s->undecryptable, (unsigned long long)s->rtcp);
    printf("  per subscriber: at least %d cameras and %d microphones of %d other publishers; "
           "keyframe requests to publishers in the window: %llu\n",
           s->cameras_min, s->mics_min, s->others_max, (unsigned long long)s->keyframe_requests);
    printf("  one-way delay through the server: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           (double)lat_hist_quantile(&s->lat, 0.5) / 1000, (double)lat_hist_quantile(&s->lat, 0.99) / 1000,
           (double)s->lat.max_us / 1000);
    printf("  window: %.2f s, %llu packets sent, %llu received (%.0f received/s)\n", s->window_s,
           (unsigned long long)s->window_tx, (unsigned long long)s->window_rx,
           s->window_s > 0 ? (double)s->window_rx / s->window_s : 0);
    if (s->have_server)
        printf("  server pid %d: cpu %.2f s in the window (%.0f%% of a core), peak memory %.1f MiB; "
               "forwarded packets per CPU-second: %.0f\n",
               c->server_pid, s->server_cpu_s, s->window_s > 0 ? 100 * s->server_cpu_s / s->window_s : 0,
               (double)(s->cpu_end.ok ? s->cpu_end.hwm_kb : s->cpu1.hwm_kb) / 1024, s->fwd_per_cpu_s);
    else if (c->server_pid)
        printf("  server pid %d: not readable\n", c->server_pid);
    printf("  stoa-load itself: cpu %.2f s in the window (%.0f%% of a core)", s->load_cpu_s,
           s->window_s > 0 ? 100 * s->load_cpu_s / s->window_s : 0);
    if (s->other_cpu_s >= 0)
        printf("; everything else on the machine: %.0f%% of a core",
               s->window_s > 0 ? 100 * s->other_cpu_s / s->window_s : 0);
    printf("\n");
    printf("  complete: %s\n", s->complete ? "yes" : "no");
}

static void report_json(load_run *run, const summary *s)
{
    const load_config *c = &run->cfg;
    json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:i, s:i}",
        "server", c->janus ? "janus" : "stoa", "url", c->url, "rooms", c->rooms, "participants", c->participants,
        "publishers", c->publishers, "seconds", c->seconds, "audio_only", c->audio_only, "video_kbps",
        c->video_kbps, "fps", c->fps);
    json_object_set_new(o, "joined", json_integer(s->joined));
    json_object_set_new(o, "failed", json_integer(s->failed));
    json_object_set_new(o, "sent", json_integer((json_int_t)s->sent));
    json_object_set_new(o, "received", json_integer((json_int_t)s->received));
    json_object_set_new(o, "lost", json_integer((json_int_t)s->lost));
    json_object_set_new(o, "duplicates", json_integer((json_int_t)s->duplicates));
    json_object_set_new(o, "reordered", json_integer((json_int_t)s->reordered));
    json_object_set_new(o, "foreign", json_integer((json_int_t)s->foreign));
    json_object_set_new(o, "undecryptable", json_integer((json_int_t)s->undecryptable));
    json_object_set_new(o, "expected_streams", json_integer(s->expected_streams));
    json_object_set_new(o, "missing_streams", json_integer(s->missing_streams));
    json_object_set_new(o, "cameras_min", json_integer(s->cameras_min));
    json_object_set_new(o, "mics_min", json_integer(s->mics_min));
    json_object_set_new(o, "others_max", json_integer(s->others_max));
    json_object_set_new(o, "window_keyframe_requests", json_integer((json_int_t)s->keyframe_requests));
    json_object_set_new(o, "latency_p50_ms", json_real((double)lat_hist_quantile(&s->lat, 0.5) / 1000));
    json_object_set_new(o, "latency_p99_ms", json_real((double)lat_hist_quantile(&s->lat, 0.99) / 1000));
    json_object_set_new(o, "latency_max_ms", json_real((double)s->lat.max_us / 1000));
    json_object_set_new(o, "join_p50_ms", json_real(s->join_p50_ms));
    json_object_set_new(o, "join_max_ms", json_real(s->join_max_ms));
    json_object_set_new(o, "window_s", json_real(s->window_s));
    json_object_set_new(o, "window_received", json_integer((json_int_t)s->window_rx));
    json_object_set_new(o, "window_sent", json_integer((json_int_t)s->window_tx));
    json_object_set_new(o, "load_cpu_s", json_real(s->load_cpu_s));
    if (s->other_cpu_s >= 0)
        json_object_set_new(o, "other_cpu_s", json_real(s->other_cpu_s));
    if (s->have_server) {
        json_object_set_new(o, "server_pid", json_integer(c->server_pid));
        json_object_set_new(o, "server_cpu_s", json_real(s->server_cpu_s));
        json_object_set_new(o, "server_peak_kib",
                            json_integer(s->cpu_end.ok ? s->cpu_end.hwm_kb : s->cpu1.hwm_kb));
        json_object_set_new(o, "forwarded_per_cpu_s", json_real(s->fwd_per_cpu_s));
    }
    json_t *errs = json_array();
    for (int i = 0; i < run->n_total; i++)
        if (run->parts[i].failed)
            json_array_append_new(errs, json_pack("{s:s, s:s}", "participant", run->parts[i].name, "error",
                                                  run->parts[i].error));
    json_object_set_new(o, "failures", errs);
    json_object_set_new(o, "complete", json_boolean(s->complete));
    char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

int main(int argc, char **argv)
{
    static load_run run;
    g_run = &run;
    if (parse_args(&run.cfg, argc, argv) < 0)
        return 2;
    load_config *c = &run.cfg;
    log_set_level(c->verbose ? LOG_INFO : LOG_WARN);
    lws_set_log_level(LLL_ERR, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (stoa_srtp_global_init() < 0 || !(run.dtls = dtls_ctx_new())) {
        fprintf(stderr, "stoa-load: DTLS/SRTP initialisation failed\n");
        return 2;
    }

    run.n_total = c->rooms * c->participants;
    run.parts = calloc((size_t)run.n_total, sizeof *run.parts);
    if (!run.parts)
        return 2;
    for (int i = 0; i < run.n_total; i++) {
        participant *p = &run.parts[i];
        p->index = i;
        p->room = i % c->rooms;                 /* rooms fill up side by side */
        p->in_room = i / c->rooms;
        p->publishes = p->in_room < c->publishers;
        p->audio_ssrc = random_u32() | 1;
        p->video_ssrc = random_u32() | 2;
        for (int k = 0; k < 3; k++)
            p->layer_ssrc[k] = random_u32() | 4;
        snprintf(p->name, sizeof p->name, "load-%d", i);
        p->rx = calloc((size_t)run.n_total * STAMP_STREAMS, sizeof *p->rx);
        if (!p->rx) {
            fprintf(stderr, "stoa-load: out of memory\n");
            return 2;
        }
    }
    run.n_workers = c->media_threads;
    atomic_store(&run.publishing, true);
    if (media_start(&run) < 0) {
        fprintf(stderr, "stoa-load: cannot start the media threads\n");
        return 2;
    }

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = sig_protocols;
    info.fd_limit_per_thread = (unsigned)(run.n_total * 2 + 64);
    lws_ctx = lws_create_context(&info);
    if (!lws_ctx) {
        fprintf(stderr, "stoa-load: cannot create the WebSocket context\n");
        return 2;
    }
    lws_sul_schedule(lws_ctx, 0, &tick_sul, tick, 10 * LWS_US_PER_MS);

    summary s;
    memset(&s, 0, sizeof s);
    run.start_ns = mono_ns();
    const sig_proto *proto = c->janus ? &sig_janus : &sig_stoa;

    /* Phase 1: join, paced, until everyone is connected and receiving. */
    int next = 0;
    int64_t next_join = run.start_ns;
    int64_t deadline = run.start_ns + (int64_t)c->join_timeout_s * 1000000000LL;
    for (;;) {
        lws_service(lws_ctx, 0);
        int64_t now = mono_ns();
        while (next < run.n_total && now >= next_join) {
            sig_connect(&run, &run.parts[next++], proto, lws_ctx);
            next_join += (int64_t)c->join_interval_ms * 1000000;
        }
        sig_tick_all(&run, now);
        if (interrupted || now >= deadline)
            break;
        if (next == run.n_total) {
            bool all = true;
            for (int i = 0; i < run.n_total && all; i++)
                all = participant_ready(&run, &run.parts[i]);
            if (all)
                break;
        }
    }
    for (int i = 0; i < run.n_total; i++) {
        participant *p = &run.parts[i];
        if (!participant_ready(&run, p))
            participant_fail(p, "not connected and receiving within %d s", c->join_timeout_s);
    }
    service_for(500000000LL);                   /* let the last renegotiations settle */

    /* Phase 2: the measured window. */
    if (c->server_pid)
        s.cpu0 = proc_read(c->server_pid);
    s.self0 = proc_read(getpid());
    s.machine0 = machine_busy_s();
    uint64_t rx0 = rx_total(&run), tx0 = tx_total(&run), kf0 = keyframe_requests_total(&run);
    int64_t w0 = mono_ns(), wend = w0 + (int64_t)c->seconds * 1000000000LL;
    while (!interrupted && mono_ns() < wend) {
        lws_service(lws_ctx, 0);
        sig_tick_all(&run, mono_ns());
    }
    int64_t w1 = mono_ns();
    if (c->server_pid)
        s.cpu1 = proc_read(c->server_pid);
    s.self1 = proc_read(getpid());
    s.machine1 = machine_busy_s();
    s.window_rx = rx_total(&run) - rx0;
    s.window_tx = tx_total(&run) - tx0;
    s.keyframe_requests = keyframe_requests_total(&run) - kf0;
    s.window_s = (double)(w1 - w0) / 1e9;

    /* Phase 3: stop publishing, let the packets in flight arrive. */
    atomic_store(&run.publishing, false);
    int64_t drain_end = mono_ns() + 1000000000LL;
    while (mono_ns() < drain_end) {
        lws_service(lws_ctx, 0);
        sig_tick_all(&run, mono_ns());
    }
    media_stop(&run);
    if (c->server_pid)
        s.cpu_end = proc_read(c->server_pid);
    summarise(&run, &s);

    /* Phase 4: leave. */
    for (int i = 0; i < run.n_total; i++) {
        sig_conn *sc = run.parts[i].sig;
        if (sc && sc->open && !sc->closed)
            sc->proto->leave(sc);
    }
    int64_t leave_end = mono_ns() + 2000000000LL;
    for (;;) {
        bool open = false;
        for (int i = 0; i < run.n_total && !open; i++) {
            sig_conn *sc = run.parts[i].sig;
            open = sc && !sc->closed;
        }
        if (!open || mono_ns() >= leave_end)
            break;
        lws_service(lws_ctx, 0);
        sig_tick_all(&run, mono_ns());
    }
    lws_sul_cancel(&tick_sul);
    lws_context_destroy(lws_ctx);

    if (c->json)
        report_json(&run, &s);
    else
        report_text(&run, &s);

    for (int i = 0; i < run.n_workers; i++) {
        pc *p = run.workers[i].pcs;
        while (p) {
            pc *n = p->next_in_worker;
            pc_free(p);
            p = n;
        }
    }
    for (int i = 0; i < run.n_total; i++) {
        sig_free(&run.parts[i]);
        free(run.parts[i].rx);
    }
    free(run.parts);
    free(run.workers);
    dtls_ctx_free(run.dtls);
    if (interrupted)
        return 130;
    return c->expect_complete && !s.complete ? 1 : 0;
}
