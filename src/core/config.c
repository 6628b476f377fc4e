/* Command-line parsing with getopt_long, defaults, and --help text. */
#include "core/config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

#ifndef STOA_VERSION
#define STOA_VERSION "0.1.0"
#endif

void config_usage(FILE *out)
{
    fprintf(out,
        "Usage: stoa [serve|focus|bridge] [options]\n"
        "\n"
        "  stoa serve   (the default) the web app, signalling, the conference focus and\n"
        "               the media bridge in one process. Open\n"
        "               http://<host>:<http-port>/<room> in a browser.\n"
        "  stoa focus   the web app, signalling and the focus, without media: bridges\n"
        "               connect to it at ws[s]://<host>:<http-port>/bridge\n"
        "               (docs/deployment.md). Needs --secret-file.\n"
        "  stoa bridge  media only: connects out to the focus and serves the\n"
        "               participants it places here. Needs --focus and --secret-file.\n"
        "\n"
        "Options of focus and bridge:\n"
        "  --secret-file F    the link's shared secret, 16 to 1024 bytes (the same file on\n"
        "                     both sides; it never crosses the network)\n"
        "  --focus URL        bridge: the focus to connect to, ws://host:port/bridge or\n"
        "                     wss://... (certificate verified; repeatable)\n"
        "  --ca-file F        bridge: CA certificates for wss:// (default: the system's)\n"
        "  --region NAME      bridge: its region, e.g. fr (letters, digits, _ . -)\n"
        "  --bridge-id NAME   bridge: its name (default: host name and media port)\n"
        "  --capacity N       bridge: endpoints it takes at most (default 500)\n"
        "  --region-map CIDR=NAME  focus: participants from this network prefer bridges\n"
        "                     of this region (repeatable, up to 256)\n"
        "  --region-header H  focus: take the region from this request header, set by\n"
        "                     the reverse proxy (before the map and ?region=)\n"
        "\n"
        "Options:\n"
        "  --http-port N      HTTP/WebSocket port (default 8080)\n"
        "  --media-port N     first UDP media port; worker i uses N+i (default 10000)\n"
        "  --public-ip A      IPv4 address to advertise in ICE candidates; repeat or\n"
        "                     separate with commas for several (default: the host's\n"
        "                     IPv4 addresses, or 127.0.0.1 when it has none)\n"
        "  --tls-cert FILE    serve HTTPS/WSS with this PEM certificate (browsers need\n"
        "  --tls-key FILE     HTTPS for camera access beyond localhost)\n"
        "  --workers N        media worker threads (default: number of cores)\n"
        "  --worker-participants N  a conference with N participants on one worker\n"
        "                     takes its newcomers to another worker, the workers\n"
        "                     relaying to each other (default 50; 0: one worker each)\n"
        "  --log-level L      error, warn, info or debug (default info)\n"
        "  --web-root DIR     directory of the web app (default: the source tree's web/)\n"
        "  --turn-uri URI     a TURN server for clients without direct UDP, e.g.\n"
        "                     turn:turn.example.org:3478?transport=udp (repeatable, up to 4)\n"
        "  --turn-secret S    its shared secret (coturn: use-auth-secret, static-auth-secret);\n"
        "                     each participant gets time-limited credentials\n"
        "  --turn-ttl SECS    how long those credentials stay valid (default 86400)\n"
        "  --last-n N         forward at most N other cameras to each participant (the\n"
        "                     recent speakers; screen shares and audio always); -1: all\n"
        "                     (default). A participant may ask for fewer or more.\n"
        "  --room-capacity N  participants one room holds (default 40, at most 200)\n"
        "  --max-rooms N      rooms open at once (default 1000)\n"
        "  --max-connections N  HTTP and WebSocket connections at once (default 4096)\n"
        "  --max-connections-per-address N  of those from one IPv4 address or IPv6 /64\n"
        "                     (default 256: a whole NAT may share one address)\n"
        "  --join-timeout SECS  close a WebSocket that has not joined a room by then\n"
        "                     (default 30)\n"
        "  --simulcast on|off ask browsers to send their camera in three sizes so that\n"
        "                     each receiver gets the one its link and tile fit (default on)\n"
        "  -h, --help         show this help\n"
        "  --version          show the version\n");
}

static int add_public_ips(stoa_config *cfg, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct in_addr a;
        if (inet_pton(AF_INET, tok, &a) != 1) {
            fprintf(stderr, "stoa: --public-ip: '%s' is not an IPv4 address\n", tok);
            return -1;
        }
        if (cfg->n_public_ips == CONFIG_MAX_PUBLIC_IPS) {
            fprintf(stderr, "stoa: at most %d public addresses\n", CONFIG_MAX_PUBLIC_IPS);
            return -1;
        }
        snprintf(cfg->public_ips[cfg->n_public_ips++], sizeof cfg->public_ips[0], "%s", tok);
    }
    return 0;
}

static void default_public_ips(stoa_config *cfg)
{
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i && cfg->n_public_ips < CONFIG_MAX_PUBLIC_IPS; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
                (i->ifa_flags & IFF_LOOPBACK))
                continue;
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                      cfg->public_ips[cfg->n_public_ips++], sizeof cfg->public_ips[0]);
        }
        freeifaddrs(ifs);
    }
    if (cfg->n_public_ips == 0)
        snprintf(cfg->public_ips[cfg->n_public_ips++], sizeof cfg->public_ips[0], "127.0.0.1");
}

static int parse_int(const char *name, const char *value, int min, int max, int *out)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "stoa: --%s must be a number from %d to %d\n", name, min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int config_parse(int argc, char **argv, stoa_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->http_port = 8080;
    cfg->media_port = 10000;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->workers = cores > 0 ? (int)cores : 1;
    cfg->worker_participants = 50;
    cfg->log_level = LOG_INFO;
    cfg->web_root = STOA_SOURCE_DIR "/web";
    cfg->last_n = -1;
    cfg->room_capacity = 40;
    cfg->simulcast = 1;
    cfg->max_rooms = 1000;
    cfg->max_connections = 4096;
    cfg->max_connections_per_address = 256;
    cfg->join_timeout = 30;

    static const struct option options[] = {
        { "http-port", required_argument, NULL, 'p' },
        { "media-port", required_argument, NULL, 'm' },
        { "public-ip", required_argument, NULL, 'i' },
        { "tls-cert", required_argument, NULL, 'c' },
        { "tls-key", required_argument, NULL, 'k' },
        { "workers", required_argument, NULL, 'w' },
        { "worker-participants", required_argument, NULL, 'W' },
        { "log-level", required_argument, NULL, 'l' },
        { "web-root", required_argument, NULL, 'r' },
        { "turn-uri", required_argument, NULL, 'u' },
        { "turn-secret", required_argument, NULL, 's' },
        { "turn-ttl", required_argument, NULL, 't' },
        { "last-n", required_argument, NULL, 'n' },
        { "room-capacity", required_argument, NULL, 'C' },
        { "simulcast", required_argument, NULL, 'S' },
        { "max-rooms", required_argument, NULL, 'R' },
        { "max-connections", required_argument, NULL, 'M' },
        { "max-connections-per-address", required_argument, NULL, 'A' },
        { "join-timeout", required_argument, NULL, 'J' },
        { "focus", required_argument, NULL, 'F' },
        { "secret-file", required_argument, NULL, 'K' },
        { "region", required_argument, NULL, 'G' },
        { "bridge-id", required_argument, NULL, 'B' },
        { "capacity", required_argument, NULL, 'P' },
        { "ca-file", required_argument, NULL, 'Q' },
        { "region-map", required_argument, NULL, 'N' },
        { "region-header", required_argument, NULL, 'H' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { 0, 0, 0, 0 },
    };
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case 'p': rc = parse_int("http-port", optarg, 1, 65535, &cfg->http_port); break;
        case 'm': rc = parse_int("media-port", optarg, 1, 65535, &cfg->media_port); break;
        case 'i': rc = add_public_ips(cfg, optarg); break;
        case 'c': cfg->tls_cert = optarg; break;
        case 'k': cfg->tls_key = optarg; break;
        case 'w': rc = parse_int("workers", optarg, 1, 256, &cfg->workers); break;
        case 'W': rc = parse_int("worker-participants", optarg, 0, 1000, &cfg->worker_participants); break;
        case 'l':
            cfg->log_level = log_level_parse(optarg);
            if (cfg->log_level < 0) {
                fprintf(stderr, "stoa: --log-level must be error, warn, info or debug\n");
                rc = -1;
            }
            break;
        case 'r': cfg->web_root = optarg; break;
        case 'u':
            if (cfg->n_turn_uris == 4 || (strncmp(optarg, "turn:", 5) != 0 && strncmp(optarg, "turns:", 6) != 0)) {
                fprintf(stderr, "stoa: --turn-uri takes up to 4 turn: or turns: URIs\n");
                rc = -1;
            } else {
                cfg->turn_uris[cfg->n_turn_uris++] = optarg;
            }
            break;
        case 's': cfg->turn_secret = optarg; break;
        case 't': rc = parse_int("turn-ttl", optarg, 60, 30 * 86400, &cfg->turn_ttl); break;
        case 'n': rc = parse_int("last-n", optarg, -1, 1000, &cfg->last_n); break;
        /* 64: what the bridge forwards to one receiver, and with three
         * sections each, about what fits the 128 m= sections of an SDP. */
        case 'C': rc = parse_int("room-capacity", optarg, 2, 200, &cfg->room_capacity); break;
        case 'R': rc = parse_int("max-rooms", optarg, 1, 1000000, &cfg->max_rooms); break;
        case 'M': rc = parse_int("max-connections", optarg, 1, 1000000, &cfg->max_connections); break;
        case 'A': rc = parse_int("max-connections-per-address", optarg, 1, 1000000, &cfg->max_connections_per_address); break;
        case 'J': rc = parse_int("join-timeout", optarg, 1, 3600, &cfg->join_timeout); break;
        case 'S':
            if (strcmp(optarg, "on") == 0 || strcmp(optarg, "off") == 0) {
                cfg->simulcast = strcmp(optarg, "on") == 0;
            } else {
                fprintf(stderr, "stoa: --simulcast must be on or off\n");
                rc = -1;
            }
            break;
        case 'F':
            if (cfg->n_focus_urls == CONFIG_MAX_FOCUS_URLS ||
                (strncmp(optarg, "ws://", 5) != 0 && strncmp(optarg, "wss://", 6) != 0)) {
                fprintf(stderr, "stoa: --focus takes up to %d ws:// or wss:// URLs\n", CONFIG_MAX_FOCUS_URLS);
                rc = -1;
            } else {
                cfg->focus_urls[cfg->n_focus_urls++] = optarg;
            }
            break;
        case 'K': cfg->secret_file = optarg; break;
        case 'G': cfg->region = optarg; break;
        case 'B': cfg->bridge_id = optarg; break;
        case 'P': rc = parse_int("capacity", optarg, 1, 100000, &cfg->capacity); break;
        case 'Q': cfg->ca_file = optarg; break;
        case 'N':
            if (cfg->n_region_map == CONFIG_MAX_REGION_MAP) {
                fprintf(stderr, "stoa: at most %d --region-map entries\n", CONFIG_MAX_REGION_MAP);
                rc = -1;
            } else {
                cfg->region_map[cfg->n_region_map++] = optarg;
            }
            break;
        case 'H': cfg->region_header = optarg; break;
        case 'h': config_usage(stdout); return 1;
        case 'V': printf("stoa %s\n", STOA_VERSION); return 1;
        default: config_usage(stderr); return -1;
        }
        if (rc < 0)
            return -1;
    }
    static const char *const roles[] = { [ROLE_SERVE] = "serve", [ROLE_FOCUS] = "focus", [ROLE_BRIDGE] = "bridge" };
    for (int r = 0; optind < argc && r < 3; r++)
        if (strcmp(argv[optind], roles[r]) == 0) {
            cfg->role = (enum stoa_role)r;
            optind++;
            break;
        }
    if (optind < argc) {
        fprintf(stderr, "stoa: unexpected argument '%s' (the modes are serve, focus and bridge)\n", argv[optind]);
        return -1;
    }
    if (cfg->role != ROLE_SERVE && !cfg->secret_file) {
        fprintf(stderr, "stoa: %s needs --secret-file\n", roles[cfg->role]);
        return -1;
    }
    if (cfg->role == ROLE_BRIDGE && cfg->n_focus_urls == 0) {
        fprintf(stderr, "stoa: bridge needs --focus URL\n");
        return -1;
    }
    if (cfg->role != ROLE_BRIDGE && (cfg->n_focus_urls || cfg->region || cfg->bridge_id || cfg->ca_file)) {
        fprintf(stderr, "stoa: --focus, --region, --bridge-id and --ca-file are options of stoa bridge\n");
        return -1;
    }
    if (cfg->role != ROLE_FOCUS && (cfg->n_region_map || cfg->region_header)) {
        fprintf(stderr, "stoa: --region-map and --region-header are options of stoa focus\n");
        return -1;
    }
    if (cfg->capacity == 0)
        cfg->capacity = 500;
    if (cfg->media_port + cfg->workers - 1 > 65535) {
        fprintf(stderr, "stoa: --media-port plus --workers goes past port 65535\n");
        return -1;
    }
    if ((cfg->n_turn_uris > 0) != (cfg->turn_secret != NULL)) {
        fprintf(stderr, "stoa: --turn-uri and --turn-secret go together\n");
        return -1;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        fprintf(stderr, "stoa: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (cfg->n_public_ips == 0)
        default_public_ips(cfg);
    return 0;
}
