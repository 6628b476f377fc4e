/* libwebsockets glue: static files, room pages and signalling WebSockets. */
#include "http/server.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "focus/room_name.h"
#include "focus/signal_msg.h"

#define WS_MAX_QUEUED (4 * 1024 * 1024)   /* bytes queued for a client that does not read */

typedef struct out_msg {
    struct out_msg *next;
    size_t len;
    unsigned char data[];          /* LWS_PRE bytes of headroom, then the text */
} out_msg;

/* Per-connection state of a signalling WebSocket (lws allocates it). */
typedef struct ws_conn {
    struct lws *wsi;
    http_server *server;
    focus_session *session;
    out_msg *head, *tail;
    size_t queued;
    bool close_requested;
    char *rx;
    size_t rx_len;
    bool rx_too_large;
} ws_conn;

struct http_server {
    struct lws_context *ctx;
    focus *focus;
    http_server_config cfg;
    int connections;
};

static const char *mime_type(const char *path)
{
    static const struct { const char *ext, *mime; } types[] = {
        { ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
        { ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
        { ".json", "application/json" }, { ".svg", "image/svg+xml" }, { ".png", "image/png" },
        { ".ico", "image/x-icon" }, { ".woff2", "font/woff2" }, { ".txt", "text/plain; charset=utf-8" },
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].mime;
    return NULL;
}

/* Asset paths are plain relative names: no "..", no empty segments. */
static bool safe_relative_path(const char *p)
{
    if (*p == '\0' || *p == '/' || strstr(p, "..") || strstr(p, "//"))
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '/'))
            return false;
    return true;
}

static int http_status(struct lws *wsi, unsigned status)
{
    lws_return_http_status(wsi, status, NULL);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int serve_file(struct lws *wsi, http_server *s, const char *relative)
{
    const char *mime = mime_type(relative);
    char path[1024];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", s->cfg.web_root, relative);
    if (!mime || n < 0 || (size_t)n >= sizeof path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return http_status(wsi, HTTP_STATUS_NOT_FOUND);
    static const char headers[] = "Cache-Control: no-cache\x0d\x0a"
                                  "X-Content-Type-Options: nosniff\x0d\x0a";
    int rc = lws_serve_http_file(wsi, path, mime, headers, (int)strlen(headers));
    if (rc < 0 || (rc > 0 && lws_http_transaction_completed(wsi)))
        return -1;
    return 0;
}

/* A dynamic response waiting for its HTTP_WRITEABLE callback. */
typedef struct http_reply {
    unsigned char *body;           /* LWS_PRE bytes of headroom, then the text */
    size_t len;
} http_reply;

static int serve_metrics(struct lws *wsi, http_server *s, http_reply *reply)
{
    char *text = s->cfg.metrics ? s->cfg.metrics(s->cfg.user) : NULL;
    if (!text)
        return http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    size_t len = strlen(text);
    reply->body = malloc(LWS_PRE + len);
    if (!reply->body) {
        free(text);
        return http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    }
    memcpy(reply->body + LWS_PRE, text, len);
    reply->len = len;
    free(text);
    unsigned char headers[LWS_PRE + 512], *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8", len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
                                    8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int handle_http(struct lws *wsi, http_server *s, const char *uri, http_reply *reply)
{
    if (strcmp(uri, "/metrics") == 0)
        return serve_metrics(wsi, s, reply);
    if (strncmp(uri, "/_/", 3) == 0)
        return safe_relative_path(uri + 3) ? serve_file(wsi, s, uri + 3)
                                           : http_status(wsi, HTTP_STATUS_NOT_FOUND);
    char room[ROOM_NAME_MAX + 1];
    if (strcmp(uri, "/") == 0 || (uri[0] == '/' && room_name_canonical(uri + 1, room)))
        return serve_file(wsi, s, "index.html");
    return http_status(wsi, HTTP_STATUS_NOT_FOUND);
}

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    http_server *s = ctx ? lws_context_user(ctx) : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return handle_http(wsi, s, (const char *)in, user);
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        http_reply *reply = user;
        if (!reply || !reply->body)
            return 0;
        int n = lws_write(wsi, reply->body + LWS_PRE, reply->len, LWS_WRITE_HTTP_FINAL);
        free(reply->body);
        reply->body = NULL;
        if (n < (int)reply->len)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP: {
        http_reply *reply = user;
        if (reply) {
            free(reply->body);
            reply->body = NULL;
        }
        return 0;
    }
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1;   /* WebSockets must ask for the "stoa" subprotocol */
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (s && s->cfg.on_wake)
            s->cfg.on_wake(s->cfg.user);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static void ws_free_queue(ws_conn *c)
{
    while (c->head) {
        out_msg *m = c->head;
        c->head = m->next;
        free(m);
    }
    c->tail = NULL;
    c->queued = 0;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
}

void http_ws_send(void *conn, const char *text, size_t len)
{
    ws_conn *c = conn;
    if (c->close_requested)
        return;
    if (c->queued + len > WS_MAX_QUEUED) {
        log_warn("http", "closing a signalling connection that does not read its messages");
        http_ws_close(c);
        return;
    }
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued += len;
    lws_callback_on_writable(c->wsi);
}

void http_ws_close(void *conn)
{
    ws_conn *c = conn;
    c->close_requested = true;
    lws_callback_on_writable(c->wsi);
}

static int ws_writeable(ws_conn *c)
{
    out_msg *m = c->head;
    if (m) {
        if (lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
            return -1;
        c->head = m->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= m->len;
        free(m);
    }
    if (c->head) {
        lws_callback_on_writable(c->wsi);
        return 0;
    }
    if (c->close_requested) {
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

/* Gathers fragments into one message; oversized ones are discarded whole
 * and answered once with too-large (through the decoder's own check). */
static void ws_receive(ws_conn *c, const char *in, size_t len, bool final)
{
    if (!c->rx_too_large) {
        if (c->rx_len + len > SIGNAL_MAX_MESSAGE) {
            c->rx_too_large = true;
            free(c->rx);
            c->rx = NULL;
        } else {
            char *grown = realloc(c->rx, c->rx_len + len + 1);
            if (!grown) {
                c->rx_too_large = true;
            } else {
                c->rx = grown;
                memcpy(c->rx + c->rx_len, in, len);
            }
        }
        c->rx_len += len;
    } else {
        c->rx_len += len;
    }
    if (!final)
        return;
    http_server *s = c->server;
    if (c->rx_too_large) {
        focus_refuse(s->focus, c->session, "too-large", "messages are limited to 262144 bytes");
    } else if (c->rx) {
        focus_message(s->focus, c->session, c->rx, c->rx_len);
    }
    free(c->rx);
    c->rx = NULL;
    c->rx_len = 0;
    c->rx_too_large = false;
}

static bool uri_is(struct lws *wsi, const char *want)
{
    char uri[64];
    int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    return n > 0 && strcmp(uri, want) == 0;
}

static int callback_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    ws_conn *c = user;
    http_server *s = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return uri_is(wsi, "/ws") ? 0 : -1;
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->server = s;
        c->session = focus_connect(s->focus, c);
        if (!c->session)
            return -1;
        s->connections++;
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (!c->session || c->close_requested)
            return 0;
        if (lws_frame_is_binary(wsi)) {
            focus_refuse(s->focus, c->session, "bad-message", "signalling messages are text frames");
            return 0;
        }
        ws_receive(c, in, len, lws_is_final_fragment(wsi));
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(c);
    case LWS_CALLBACK_CLOSED:
        if (c->session) {
            focus_disconnect(s->focus, c->session);
            c->session = NULL;
            s->connections--;
        }
        ws_free_queue(c);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    { "http", callback_http, sizeof(http_reply), 0, 0, NULL, 0 },
    { "stoa", callback_ws, sizeof(ws_conn), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void lws_log_to_ours(int level, const char *line)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", line);
    size_t n = strlen(copy);
    while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
        copy[--n] = '\0';
    log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws", "%s", copy);
}

http_server *http_server_new(const http_server_config *cfg)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.protocols = protocols;
    info.user = s;
    info.count_threads = 1;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.vhost_name = "stoa";
    if (cfg->tls_cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        /* HTTP/1.1 only: signalling WebSockets over HTTP/2 (RFC 8441) buy
         * nothing here and not every proxy carries them. */
        info.alpn = "http/1.1";
    }
    s->ctx = lws_create_context(&info);
    if (!s->ctx) {
        log_error("http", "cannot listen on port %d", cfg->port);
        free(s);
        return NULL;
    }
    log_info("http", "serving %s://0.0.0.0:%d/ from %s", cfg->tls_cert ? "https" : "http", cfg->port,
             cfg->web_root);
    return s;
}

void http_server_set_focus(http_server *s, focus *f) { s->focus = f; }

int http_server_service(http_server *s) { return lws_service(s->ctx, 0); }

void http_server_wake(http_server *s) { lws_cancel_service(s->ctx); }

int http_server_connections(const http_server *s) { return s->connections; }

void http_server_free(http_server *s)
{
    if (!s)
        return;
    lws_context_destroy(s->ctx);
    free(s);
}
