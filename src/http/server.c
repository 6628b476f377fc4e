/* libwebsockets glue: static files, room pages and signalling WebSockets. */
#include "http/server.h"

#include <libwebsockets.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/log.h"
#include "focus/room_name.h"
#include "focus/signal_msg.h"
#include "http/conn_limits.h"
#include "link/link_hub.h"
#include "link/ws_frames.h"
#include "focus/placement.h"

#define WS_MAX_QUEUED (4 * 1024 * 1024)   /* bytes queued for a client that does not read */
/* Request limits: longer URIs get 414, a longer header 431; lws keeps at
 * most HTTP_HEADER_DATA bytes of one request's headers. */
#define HTTP_URI_MAX 2048
#define HTTP_HEADER_VALUE_MAX 4096
#define HTTP_HEADER_DATA 8192
/* Descriptors kept free for the bridge and for served files: a connection
 * that would take one of them is refused. */
#define DESCRIPTORS_KEPT_FREE 128

/* Per-connection state of a signalling WebSocket (lws allocates it). */
typedef struct ws_conn {
    struct lws *wsi;
    http_server *server;
    focus_session *session;
    ws_frame_queue out;
    bool close_requested;
    ws_message in;
} ws_conn;

struct http_server {
    struct lws_context *ctx;
    focus *focus;
    http_server_config cfg;
    int connections;
    conn_limits *limits;
    /* The address of the connection lws is adopting: FILTER_NETWORK_CONNECTION
     * counted it, SERVER_NEW_CLIENT_INSTANTIATED (which follows at once for
     * that connection) binds it to the wsi. */
    char adopting[CONN_ADDRESS_MAX];
    rlim_t descriptors;            /* the soft RLIMIT_NOFILE */
    struct lws_token_limits token_limits;
    lws_sorted_usec_list_t tick;
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

/* Writes a response's headers and no body: content_length is what the body
 * would be (HEAD) or 0; allow, when set, becomes the Allow header. */
static int respond_headers_only(struct lws *wsi, unsigned status, const char *mime, size_t content_length,
                                const char *allow)
{
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, mime, content_length, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                    (const unsigned char *)"nosniff", 7, &p, end) ||
        (allow && lws_add_http_header_by_name(wsi, (const unsigned char *)"allow:", (const unsigned char *)allow,
                                              (int)strlen(allow), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int serve_file(struct lws *wsi, http_server *s, const char *relative, bool head)
{
    const char *mime = mime_type(relative);
    char path[1024];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", s->cfg.web_root, relative);
    if (!mime || n < 0 || (size_t)n >= sizeof path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return http_status(wsi, HTTP_STATUS_NOT_FOUND);
    if (head)
        return respond_headers_only(wsi, HTTP_STATUS_OK, mime, (size_t)st.st_size, NULL);
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

/* Answers with text (malloc'd, taken; NULL: 503) as a no-store response. */
static int serve_text(struct lws *wsi, http_reply *reply, bool head, char *text, const char *mime)
{
    if (!text)
        return http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    size_t len = strlen(text);
    if (head) {
        free(text);
        return respond_headers_only(wsi, HTTP_STATUS_OK, mime, len, NULL);
    }
    reply->body = malloc(LWS_PRE + len);
    if (!reply->body) {
        free(text);
        return http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    }
    memcpy(reply->body + LWS_PRE, text, len);
    reply->len = len;
    free(text);
    unsigned char headers[LWS_PRE + 512], *start = headers + LWS_PRE, *p = start, *end = headers + sizeof headers - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, mime, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
                                    8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* lws stops storing a header at its token limit: one that reached it was
 * (at least) that long. */
static bool header_too_large(struct lws *wsi)
{
    for (int t = 0; t < WSI_TOKEN_COUNT; t++)
        if (lws_hdr_total_length(wsi, (enum lws_token_indexes)t) >= HTTP_HEADER_VALUE_MAX)
            return true;
    return false;
}

static bool uri_too_long(struct lws *wsi)
{
    return lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > HTTP_URI_MAX ||
           lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > HTTP_URI_MAX ||
           lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > HTTP_URI_MAX;
}

/* Refuses a request whose method, URI or headers are not served; returns
 * true when it answered. */
static bool refuse_request(struct lws *wsi, http_server *s, int *rc)
{
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    if (!get && !head) {
        refusal_note(s->cfg.refused, REFUSED_HTTP_METHOD, "http", "a method other than GET and HEAD");
        /* Whatever body follows is not read: the connection ends here. */
        respond_headers_only(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL, 0, "GET, HEAD");
        *rc = -1;
        return true;
    }
    if (uri_too_long(wsi)) {
        refusal_note(s->cfg.refused, REFUSED_URI_TOO_LONG, "http", "a URI of more than %d bytes", HTTP_URI_MAX);
        respond_headers_only(wsi, 414, NULL, 0, NULL);
        *rc = -1;
        return true;
    }
    if (header_too_large(wsi)) {
        refusal_note(s->cfg.refused, REFUSED_HEADERS_TOO_LARGE, "http", "a header of %d bytes or more",
                     HTTP_HEADER_VALUE_MAX);
        respond_headers_only(wsi, 431, NULL, 0, NULL);
        *rc = -1;
        return true;
    }
    return false;
}

static int handle_http(struct lws *wsi, http_server *s, const char *uri, http_reply *reply)
{
    int rc;
    if (refuse_request(wsi, s, &rc))
        return rc;
    bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    if (strcmp(uri, "/metrics") == 0)
        return serve_text(wsi, reply, head, s->cfg.metrics ? s->cfg.metrics(s->cfg.user) : NULL,
                          "text/plain; version=0.0.4; charset=utf-8");
    if (strcmp(uri, "/topology") == 0) {
        /* Room names are the meetings' addresses: for the operator, on the host itself. */
        char peer[64] = "";
        lws_get_peer_simple(wsi, peer, sizeof peer);
        if (strncmp(peer, "127.", 4) != 0 && strcmp(peer, "::1") != 0 && strncmp(peer, "::ffff:127.", 11) != 0)
            return http_status(wsi, HTTP_STATUS_FORBIDDEN);
        return serve_text(wsi, reply, head, s->cfg.topology ? s->cfg.topology(s->cfg.user) : NULL,
                          "application/json");
    }
    if (strncmp(uri, "/_/", 3) == 0)
        return safe_relative_path(uri + 3) ? serve_file(wsi, s, uri + 3, head)
                                           : http_status(wsi, HTTP_STATUS_NOT_FOUND);
    char room[ROOM_NAME_MAX + 1];
    if (strcmp(uri, "/") == 0 || (uri[0] == '/' && room_name_canonical(uri + 1, room)))
        return serve_file(wsi, s, "index.html", head);
    return http_status(wsi, HTTP_STATUS_NOT_FOUND);
}

/* Counts an accepted connection against the budgets; nonzero refuses it
 * (lws closes the socket before reading anything). */
static int admit_connection(http_server *s, const struct lws_filter_network_conn_args *filt)
{
    char key[CONN_ADDRESS_MAX];
    conn_address_key((const struct sockaddr *)&filt->cli_addr, key);
    if (s->adopting[0]) {          /* the previous adoption failed before it was bound */
        conn_limits_release(s->limits, s->adopting);
        s->adopting[0] = '\0';
    }
    if ((rlim_t)filt->accept_fd + DESCRIPTORS_KEPT_FREE >= s->descriptors) {
        refusal_note(s->cfg.refused, REFUSED_DESCRIPTORS, "http", "descriptor %d is too close to the limit of %llu",
                     (int)filt->accept_fd, (unsigned long long)s->descriptors);
        return 1;
    }
    switch (conn_limits_admit(s->limits, key)) {
    case CONN_OVER_TOTAL:
        refusal_note(s->cfg.refused, REFUSED_CONNECTIONS, "http", "%d connections are open, the most allowed",
                     s->cfg.max_connections);
        return 1;
    case CONN_OVER_ADDRESS:
        refusal_note(s->cfg.refused, REFUSED_CONNECTIONS_PER_ADDRESS, "http", "%s has %d connections open already",
                     key, s->cfg.max_connections_per_address);
        return 1;
    case CONN_ADMITTED:
        break;
    }
    snprintf(s->adopting, sizeof s->adopting, "%s", key);
    return 0;
}

/* The wsi lws created for the admitted connection carries its address key. */
static void bind_connection(http_server *s, struct lws *wsi)
{
    if (!s->adopting[0])
        return;                    /* the listener, or a wsi of lws's own */
    char *key = strdup(s->adopting);
    if (key)
        lws_set_opaque_user_data(wsi, key);
    else
        conn_limits_release(s->limits, s->adopting);
    s->adopting[0] = '\0';
}

static void release_connection(http_server *s, struct lws *wsi)
{
    char *key = lws_get_opaque_user_data(wsi);
    if (!key)
        return;
    conn_limits_release(s->limits, key);
    lws_set_opaque_user_data(wsi, NULL);
    free(key);
}

/* lws turns CONNECT into a raw socket (it would tunnel): answer 405 and
 * close rather than hold it open. */
static int refuse_tunnel(struct lws *wsi, http_server *s)
{
    static const char reply[] = "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";
    unsigned char buf[LWS_PRE + sizeof reply];
    memcpy(buf + LWS_PRE, reply, sizeof reply - 1);
    refusal_note(s->cfg.refused, REFUSED_HTTP_METHOD, "http", "a CONNECT request");
    lws_write(wsi, buf + LWS_PRE, sizeof reply - 1, LWS_WRITE_RAW);
    return -1;
}

/* Whether a WebSocket upgrade names want among its subprotocols (a
 * comma-separated list, RFC 6455 section 4.1). */
static bool asks_for(struct lws *wsi, const char *want)
{
    char list[256];
    int n = lws_hdr_copy(wsi, list, sizeof list, WSI_TOKEN_PROTOCOL);
    if (n <= 0)
        return false;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            len--;
        if (len == strlen(want) && memcmp(tok, want, len) == 0)
            return true;
    }
    return false;
}

static bool uri_is(struct lws *wsi, const char *want);

static int callback_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    http_server *s = ctx ? lws_context_user(ctx) : NULL;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        return s ? admit_connection(s, user) : 0;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        if (s)
            bind_connection(s, wsi);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (s)
            release_connection(s, wsi);
        return 0;
    case LWS_CALLBACK_RAW_ADOPT:
        return s ? refuse_tunnel(wsi, s) : -1;
    case LWS_CALLBACK_RAW_RX:
        return -1;
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
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        /* WebSockets must ask for the "stoa" subprotocol. Said in an HTTP
         * answer, so that a client library can report it: closing without
         * one (what libwebsockets does) reads as a network failure. */
        if (in && strcmp((const char *)in, "websocket") == 0 && s && s->cfg.bridges && uri_is(wsi, LINK_PATH) &&
            !asks_for(wsi, LINK_SUBPROTOCOL)) {
            lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
                                   "WebSocket subprotocol \"" LINK_SUBPROTOCOL "\" required on " LINK_PATH);
            return 1;
        }
        if (in && strcmp((const char *)in, "websocket") == 0 && !(s && s->cfg.bridges && uri_is(wsi, LINK_PATH)) &&
            !asks_for(wsi, "stoa")) {
            lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST,
                                   "WebSocket subprotocol \"stoa\" required (Sec-WebSocket-Protocol: stoa)");
            return 1;
        }
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return -1;   /* not a "stoa" WebSocket: refused above already */
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
    ws_frame_clear(&c->out);
    ws_message_reset(&c->in);
}

void http_ws_send(void *conn, const char *text, size_t len)
{
    ws_conn *c = conn;
    if (c->close_requested)
        return;
    if (c->out.queued + len > WS_MAX_QUEUED) {
        refusal_note(c->server->cfg.refused, REFUSED_SEND_QUEUE, "http",
                     "closing a signalling connection that does not read its messages");
        http_ws_close(c);
        return;
    }
    ws_frame_push(&c->out, c->wsi, text, len, WS_MAX_QUEUED);
}

size_t http_ws_queued(void *conn)
{
    return ((ws_conn *)conn)->out.queued;
}

void http_ws_close(void *conn)
{
    ws_conn *c = conn;
    c->close_requested = true;
    lws_callback_on_writable(c->wsi);
}

static int ws_writeable(ws_conn *c)
{
    int rc = ws_frame_write(&c->out, c->wsi);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
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
    if (!ws_message_add(&c->in, in, len, final, SIGNAL_MAX_MESSAGE))
        return;
    http_server *s = c->server;
    if (c->in.too_large)
        focus_refuse(s->focus, c->session, "too-large", "messages are limited to 262144 bytes");
    else if (c->in.text)
        focus_message(s->focus, c->session, c->in.text, c->in.len);
    ws_message_reset(&c->in);
}

static bool uri_is(struct lws *wsi, const char *want)
{
    char uri[64];
    int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    return n > 0 && strcmp(uri, want) == 0;
}

/* The region placement prefers for this connection's participant: the
 * reverse proxy's header, the region map, ?region= (placement_region). */
static void set_session_region(http_server *s, struct lws *wsi, focus_session *session)
{
    char header[PLACEMENT_REGION_MAX + 2] = "", peer[64] = "", query[PLACEMENT_REGION_MAX + 16] = "";
    const char *from_header = NULL, *from_query = NULL, *address = NULL;
    if (s->cfg.region_header) {
        char name[80];
        int n = snprintf(name, sizeof name, "%s:", s->cfg.region_header);
        for (int i = 0; i < n && name[i]; i++)
            name[i] = (char)tolower((unsigned char)name[i]);
        if (n > 1 && n < (int)sizeof name && lws_hdr_custom_length(wsi, name, n) > 0 &&
            lws_hdr_custom_copy(wsi, header, sizeof header, name, n) > 0)
            from_header = header;
    }
    if (s->cfg.region_map && lws_get_peer_simple(wsi, peer, sizeof peer))
        address = peer;
    from_query = lws_get_urlarg_by_name(wsi, "region=", query, sizeof query);
    char region[PLACEMENT_REGION_MAX + 1];
    placement_region(from_header, s->cfg.region_map, address, from_query, region);
    focus_set_session_region(s->focus, session, region);
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
        if (lws_get_opaque_user_data(wsi))
            focus_set_session_address(s->focus, c->session, lws_get_opaque_user_data(wsi));
        set_session_region(s, wsi, c->session);
        s->connections++;
        lws_set_timer_usecs(wsi, (lws_usec_t)s->cfg.join_timeout_s * LWS_US_PER_SEC);
        return 0;
    case LWS_CALLBACK_TIMER:
        if (c->session)
            focus_join_timeout(s->focus, c->session);
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

static int callback_bridge_link(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    http_server *s = lws_context_user(lws_get_context(wsi));
    return link_hub_callback(s ? s->cfg.bridges : NULL, wsi, (int)reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    { "http", callback_http, sizeof(http_reply), 0, 0, NULL, 0 },
    { "stoa", callback_ws, sizeof(ws_conn), 65536, 0, NULL, 0 },
    { LINK_SUBPROTOCOL, callback_bridge_link, LINK_CONN_SIZE, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* lws logs what clients make happen (bad requests, and "accept: errno 24"
 * thousands of times a second when descriptors run out): rate-limited. */
static log_limit lws_log_limit;

static void lws_log_to_ours(int level, const char *line)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", line);
    size_t n = strlen(copy);
    while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
        copy[--n] = '\0';
    log_limited(&lws_log_limit, level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws", "%s", copy);
}

/* Idle signalling WebSockets are pinged after 30 s without traffic and
 * closed 15 s later if nothing came back. */
static const lws_retry_bo_t ws_idle_policy = {
    .secs_since_valid_ping = 30,
    .secs_since_valid_hangup = 45,
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
    http_server *s = lws_container_of(sul, http_server, tick);
    s->cfg.on_tick(s->cfg.user);
    lws_sul_schedule(s->ctx, 0, &s->tick, on_tick, (lws_usec_t)s->cfg.tick_ms * LWS_US_PER_MS);
}

http_server *http_server_new(const http_server_config *cfg)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *cfg;
    s->limits = conn_limits_new(cfg->max_connections, cfg->max_connections_per_address);
    if (!s->limits) {
        free(s);
        return NULL;
    }
    struct rlimit rl;
    s->descriptors = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    for (int t = 0; t < WSI_TOKEN_COUNT; t++)
        s->token_limits.token_limit[t] = HTTP_HEADER_VALUE_MAX;
    /* One more than allowed, so that a longer URI is recognised as such. */
    s->token_limits.token_limit[WSI_TOKEN_GET_URI] = HTTP_URI_MAX + 1;
    s->token_limits.token_limit[WSI_TOKEN_HEAD_URI] = HTTP_URI_MAX + 1;
    s->token_limits.token_limit[WSI_TOKEN_HTTP_URI_ARGS] = HTTP_URI_MAX + 1;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.protocols = protocols;
    info.user = s;
    info.count_threads = 1;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.vhost_name = "stoa";
    info.token_limits = &s->token_limits;
    info.max_http_header_data = HTTP_HEADER_DATA;
    /* A connection that sends nothing useful is not held: 10 s for a
     * request's headers and other round trips, 5 s idle between requests. */
    info.timeout_secs = 10;
    info.timeout_secs_ah_idle = 10;
    info.keepalive_timeout = 5;
    info.retry_and_idle_policy = &ws_idle_policy;
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
        conn_limits_free(s->limits);
        free(s);
        return NULL;
    }
    if (cfg->on_tick && cfg->tick_ms > 0)
        lws_sul_schedule(s->ctx, 0, &s->tick, on_tick, (lws_usec_t)cfg->tick_ms * LWS_US_PER_MS);
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
    conn_limits_free(s->limits);
    free(s);
}
