/* Command-line configuration of the stoa binary. */
#ifndef STOA_CONFIG_H
#define STOA_CONFIG_H

#include <stdio.h>

#define CONFIG_MAX_PUBLIC_IPS 8

#define CONFIG_MAX_FOCUS_URLS 8
#define CONFIG_MAX_REGION_MAP 256

/* What this process is: everything in one, or one side of the bridge link. */
enum stoa_role { ROLE_SERVE, ROLE_FOCUS, ROLE_BRIDGE };

typedef struct stoa_config {
    enum stoa_role role;
    const char *focus_urls[CONFIG_MAX_FOCUS_URLS];   /* bridge: ws:// or wss:// .../bridge */
    int n_focus_urls;
    const char *secret_file;       /* focus and bridge: the link's shared secret */
    const char *region;            /* bridge: its region name */
    const char *bridge_id;         /* bridge: its name (default host name and media port) */
    int capacity;                  /* bridge: endpoints it takes at most */
    const char *ca_file;           /* bridge: CA certificates for wss:// focus URLs */
    const char *region_map[CONFIG_MAX_REGION_MAP];   /* focus: "CIDR=region" */
    int n_region_map;
    const char *region_header;     /* focus: request header a reverse proxy sets, or NULL */
    int http_port;
    int media_port;
    char public_ips[CONFIG_MAX_PUBLIC_IPS][64];
    int n_public_ips;
    const char *tls_cert;
    const char *tls_key;
    int workers;
    int worker_participants;       /* a conference spreads to another worker past this (0: never) */
    int log_level;                 /* enum log_level */
    const char *web_root;
    const char *turn_uris[4];
    int n_turn_uris;
    const char *turn_secret;
    int turn_ttl;
    int last_n;                    /* -1: every camera to everyone */
    int room_capacity;             /* participants per room */
    int simulcast;                 /* 1: ask browsers for three camera layers */
    int max_rooms;                 /* rooms open at once */
    int max_connections;           /* HTTP + WebSocket connections at once */
    int max_connections_per_address;  /* of those from one IPv4 address or IPv6 /64 */
    int join_timeout;              /* seconds a WebSocket may stay without joining */
} stoa_config;

/* Parses argv ("stoa [serve] [options]"). Returns 0 to run, 1 when --help
 * or --version was printed (exit 0), -1 after printing an error (exit 2).
 * Fills defaults: HTTP 8080, media 10000, one worker per core, the host's
 * IPv4 addresses (127.0.0.1 when it has no other). */
int config_parse(int argc, char **argv, stoa_config *cfg);
void config_usage(FILE *out);

#endif
