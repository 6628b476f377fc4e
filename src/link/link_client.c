/* The bridge's links to focus nodes on libwebsockets' client side. */
#include "link/link_client.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/random.h"
#include "link/ws_frames.h"

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define MAX_FRAME 65536
#define MAX_QUEUED (4 * 1024 * 1024)

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_AWAIT_CHALLENGE, LINK_AWAIT_WELCOME, LINK_UP, LINK_CLOSING };

typedef struct focus_link {
    link_client *client;
    int index;
    char url[512];                 /* for the log */
    char host[256];
    char path[256];
    int port;
    bool tls;
    enum link_state state;
    struct lws *wsi;
    char focus_nonce[LINK_NONCE_HEX + 1];
    link_hello hello;              /* the one sent on this connection */
    ws_frame_queue out;
    ws_message in;
    int backoff_ms;
    lws_sorted_usec_list_t retry;
} focus_link;

struct link_client {
    struct lws_context *ctx;
    link_secret secret;
    link_hello hello;
    link_client_callbacks cb;
    int tick_ms;
    lws_sorted_usec_list_t tick;
    focus_link links[LINK_CLIENT_MAX_FOCUS];
    int n_links;
    bool stopping;                 /* link_client_free: no more retries */
};

static void connect_link(focus_link *l);

static void free_queue(focus_link *l)
{
    ws_frame_clear(&l->out);
    ws_message_reset(&l->in);
}

static void queue_json(focus_link *l, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (!text)
        return;
    if (ws_frame_push(&l->out, l->wsi, text, strlen(text), MAX_QUEUED) < 0)
        log_warn("link", "focus %s does not read its messages: dropping one", l->url);
    free(text);
}

static void on_retry(lws_sorted_usec_list_t *sul)
{
    focus_link *l = lws_container_of(sul, focus_link, retry);
    connect_link(l);
}

/* The next try after a jittered backoff that doubles each time. */
static void schedule_retry(focus_link *l)
{
    l->state = LINK_IDLE;
    l->wsi = NULL;
    free_queue(l);
    int base = l->backoff_ms ? l->backoff_ms : BACKOFF_FIRST_MS;
    uint32_t r;
    random_bytes(&r, sizeof r);
    int wait = base * 8 / 10 + (int)(r % (uint32_t)(base * 4 / 10 + 1));   /* 80..120 % */
    l->backoff_ms = base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : base * 2;
    log_info("link", "connecting to focus %s again in %d ms", l->url, wait);
    lws_sul_schedule(l->client->ctx, 0, &l->retry, on_retry, (lws_usec_t)wait * LWS_US_PER_MS);
}

static void connect_link(focus_link *l)
{
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof info);
    info.context = l->client->ctx;
    info.address = l->host;
    info.port = l->port;
    info.path = l->path;
    info.host = l->host;
    info.origin = l->host;
    info.protocol = LINK_SUBPROTOCOL;
    info.local_protocol_name = LINK_SUBPROTOCOL;
    info.ssl_connection = l->tls ? LCCSCF_USE_SSL : 0;
    info.opaque_user_data = l;
    info.pwsi = &l->wsi;
    l->state = LINK_CONNECTING;
    if (!lws_client_connect_via_info(&info)) {
        log_warn("link", "cannot start a connection to focus %s", l->url);
        schedule_retry(l);
    }
}

static void on_challenge(focus_link *l, const json_t *msg)
{
    link_client *c = l->client;
    if (link_challenge_parse(msg, l->focus_nonce) < 0) {
        log_error("link", "focus %s sent no valid link-challenge", l->url);
        l->state = LINK_CLOSING;
        return;
    }
    json_int_t version = json_integer_value(json_object_get(msg, "version"));
    if (version != LINK_VERSION)
        log_warn("link", "focus %s speaks link version %lld, this bridge %d: it will likely refuse us", l->url,
                 (long long)version, LINK_VERSION);
    l->hello = c->hello;
    if (link_nonce(l->hello.nonce) < 0) {
        l->state = LINK_CLOSING;
        return;
    }
    queue_json(l, link_hello_new(&c->secret, l->focus_nonce, &l->hello));
    l->state = LINK_AWAIT_WELCOME;
}

static void on_welcome(focus_link *l, const json_t *msg)
{
    link_client *c = l->client;
    int heartbeat_ms = 0;
    char message[LINK_MESSAGE_MAX + 64];
    if (link_welcome_check(&c->secret, l->focus_nonce, &l->hello, msg, &heartbeat_ms, message, sizeof message) < 0) {
        log_error("link", "focus %s: %s", l->url, message);
        l->state = LINK_CLOSING;
        lws_callback_on_writable(l->wsi);
        return;
    }
    l->state = LINK_UP;
    l->backoff_ms = 0;
    log_info("link", "linked to focus %s as bridge %s (heartbeat every %d ms)", l->url, l->hello.bridge,
             heartbeat_ms);
    c->cb.on_linked(c->cb.user, l->index, heartbeat_ms);
}

static void on_frame(focus_link *l)
{
    json_error_t jerr;
    json_t *msg = json_loadb(l->in.text, l->in.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(msg)) {
        log_warn("link", "focus %s sent a message that is not a JSON object", l->url);
        json_decref(msg);
        return;
    }
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (l->state == LINK_AWAIT_CHALLENGE)
        on_challenge(l, msg);
    else if (l->state == LINK_AWAIT_WELCOME)
        on_welcome(l, msg);
    else if (l->state == LINK_UP && type && strcmp(type, "link-error") == 0) {
        const char *m = json_string_value(json_object_get(msg, "message"));
        log_warn("link", "focus %s says: %.200s", l->url, m ? m : "(no message)");
    } else if (l->state == LINK_UP) {
        l->client->cb.on_message(l->client->cb.user, l->index, msg);
        return;
    }
    json_decref(msg);
}

static void on_receive(focus_link *l, const char *in, size_t len, bool final)
{
    if (!ws_message_add(&l->in, in, len, final, MAX_FRAME))
        return;
    if (l->in.too_large || !l->in.text)
        log_warn("link", "focus %s sent a message over %d bytes: dropped", l->url, MAX_FRAME);
    else
        on_frame(l);
    ws_message_reset(&l->in);
}

static int on_writeable(focus_link *l)
{
    int rc = ws_frame_write(&l->out, l->wsi);
    if (rc < 0 || (rc == 0 && l->state == LINK_CLOSING))
        return -1;
    return 0;
}

static void on_closed(focus_link *l, const char *why)
{
    link_client *c = l->client;
    bool was_up = l->state == LINK_UP;
    if (c->stopping) {
        l->state = LINK_IDLE;
        return;
    }
    log_warn("link", "link to focus %s %s", l->url, why);
    if (was_up)
        c->cb.on_unlinked(c->cb.user, l->index);
    schedule_retry(l);
}

static int callback_link(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    focus_link *l = lws_get_opaque_user_data(wsi);
    struct lws_context *ctx = lws_get_context(wsi);
    link_client *c = ctx ? lws_context_user(ctx) : NULL;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (l)
            l->state = LINK_AWAIT_CHALLENGE;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (l && l->state != LINK_CLOSING)
            on_receive(l, in, len, lws_is_final_fragment(wsi));
        if (l && l->state == LINK_CLOSING && !l->out.head)
            return -1;
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return l ? on_writeable(l) : 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[200];
        snprintf(why, sizeof why, "failed: %.150s", in ? (const char *)in : "connection error");
        if (l && l->state != LINK_IDLE)
            on_closed(l, why);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (l && l->state != LINK_IDLE)
            on_closed(l, "closed");
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (c && c->cb.on_wake)
            c->cb.on_wake(c->cb.user);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols client_protocols[] = {
    { LINK_SUBPROTOCOL, callback_link, 0, MAX_FRAME, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static int parse_url(focus_link *l, const char *url)
{
    char copy[512];
    const char *scheme, *host, *path;
    int port;
    snprintf(l->url, sizeof l->url, "%s", url);
    snprintf(copy, sizeof copy, "%s", url);
    if (strlen(url) >= sizeof copy || lws_parse_uri(copy, &scheme, &host, &port, &path) != 0 || !host[0])
        return -1;
    l->tls = strcmp(scheme, "wss") == 0;
    if (!l->tls && strcmp(scheme, "ws") != 0)
        return -1;
    snprintf(l->host, sizeof l->host, "%s", host);
    snprintf(l->path, sizeof l->path, "/%s", path);
    l->port = port;
    return 0;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    link_client *c = lws_container_of(sul, link_client, tick);
    if (c->cb.on_tick)
        c->cb.on_tick(c->cb.user);
    lws_sul_schedule(c->ctx, 0, &c->tick, on_tick, (lws_usec_t)c->tick_ms * LWS_US_PER_MS);
}

link_client *link_client_new(const link_client_config *cfg, const link_client_callbacks *cb)
{
    if (cfg->n_urls < 1 || cfg->n_urls > LINK_CLIENT_MAX_FOCUS)
        return NULL;
    link_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->secret = *cfg->secret;
    c->hello = *cfg->hello;
    c->cb = *cb;
    c->tick_ms = cfg->tick_ms > 0 ? cfg->tick_ms : 250;
    c->n_links = cfg->n_urls;
    bool tls = false;
    for (int i = 0; i < cfg->n_urls; i++) {
        focus_link *l = &c->links[i];
        l->client = c;
        l->index = i;
        if (parse_url(l, cfg->urls[i]) < 0) {
            log_error("link", "cannot parse the focus URL %s (ws://host:port/bridge or wss://...)", cfg->urls[i]);
            link_client_free(c);
            return NULL;
        }
        tls |= l->tls;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.user = c;
    info.count_threads = 1;
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.client_ssl_ca_filepath = cfg->ca_file;
    }
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        log_error("link", "cannot create the link's libwebsockets context");
        link_client_free(c);
        return NULL;
    }
    for (int i = 0; i < c->n_links; i++)
        connect_link(&c->links[i]);
    lws_sul_schedule(c->ctx, 0, &c->tick, on_tick, (lws_usec_t)c->tick_ms * LWS_US_PER_MS);
    return c;
}

int link_client_service(link_client *c) { return lws_service(c->ctx, 0); }

void link_client_wake(link_client *c) { lws_cancel_service(c->ctx); }

int link_client_send(link_client *c, int link, json_t *msg)
{
    if (link < 0 || link >= c->n_links || c->links[link].state != LINK_UP) {
        json_decref(msg);
        return -1;
    }
    queue_json(&c->links[link], msg);
    return 0;
}

int link_client_linked(const link_client *c)
{
    int n = 0;
    for (int i = 0; i < c->n_links; i++)
        n += c->links[i].state == LINK_UP;
    return n;
}

void link_client_free(link_client *c)
{
    if (!c)
        return;
    c->stopping = true;
    if (c->ctx)
        lws_context_destroy(c->ctx);   /* closes the links; callbacks may still run */
    for (int i = 0; i < c->n_links; i++)
        free_queue(&c->links[i]);
    link_secret_clear(&c->secret);
    free(c);
}
