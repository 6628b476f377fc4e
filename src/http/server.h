/* The HTTP side of the control thread, on libwebsockets: the web app's
 * static files, room pages, and the signalling WebSocket (/ws, subprotocol
 * "stoa") whose messages go to the focus. */
#ifndef STOA_HTTP_SERVER_H
#define STOA_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "focus/focus.h"
#include "focus/refusals.h"

typedef struct http_server http_server;

typedef struct http_server_config {
    int port;
    const char *tls_cert;          /* NULL: plain HTTP */
    const char *tls_key;
    const char *web_root;
    /* Runs on the control thread after http_server_wake was called. */
    void (*on_wake)(void *user);
    /* Writes the Prometheus text for GET /metrics into a malloc'd string
     * (the server frees it); NULL: 503. */
    char *(*metrics)(void *user);
    /* The same for GET /topology (JSON), answered to loopback clients only. */
    char *(*topology)(void *user);
    /* Optional: runs on the control thread every tick_ms (> 0). */
    void (*on_tick)(void *user);
    int tick_ms;
    void *user;
    int max_connections;           /* HTTP and WebSocket at once */
    int max_connections_per_address;
    int join_timeout_s;            /* a WebSocket that has not joined by then is closed */
    refusals *refused;             /* where refusals are counted (required) */
    struct link_hub *bridges;      /* stoa focus: bridges link at /bridge; NULL: refused */
    const struct region_map *region_map;   /* client networks to regions, or NULL */
    const char *region_header;     /* request header a reverse proxy sets with the region, or NULL */
} http_server_config;

/* Raises the soft RLIMIT_NOFILE to what max_connections needs (up to the
 * hard limit) and returns how many connections the descriptors allow: the
 * configured number, or fewer (warned) when the hard limit is lower. Call
 * before http_server_new. */
int http_reserve_descriptors(int max_connections);

/* Listens on the port. Returns NULL on failure (logged). */
http_server *http_server_new(const http_server_config *cfg);
/* Connects signalling to the focus; must be called before serving. */
void http_server_set_focus(http_server *s, focus *f);
/* Runs one iteration of the event loop. Returns < 0 on a fatal error. */
int http_server_service(http_server *s);
/* Thread-safe (and safe from a signal handler): makes the loop return and
 * call on_wake. */
void http_server_wake(http_server *s);
/* Bytes queued for a signalling connection and not yet written. */
size_t http_ws_queued(void *conn);
/* Number of open signalling connections. */
int http_server_connections(const http_server *s);
/* Closes every connection (the focus hears of each) and frees the server. */
void http_server_free(http_server *s);

/* focus_callbacks for signalling connections. */
void http_ws_send(void *conn, const char *text, size_t len);
void http_ws_close(void *conn);

#endif
