/* The focus's end of bridge links: challenge, hello, welcome, then control
 * messages and heartbeats, each frame checked before anything reads it. */
#include "link/link_hub.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "link/ws_frames.h"

enum conn_state { CONN_CHALLENGED, CONN_LINKED, CONN_CLOSING };

typedef struct link_conn {
    struct lws *wsi;
    link_hub *hub;
    enum conn_state state;
    char peer[64];
    char nonce[LINK_NONCE_HEX + 1];
    link_hello hello;
    int handle;                    /* > 0 once linked and not yet reported lost */
    heartbeat_watch watch;
    ws_frame_queue out;
    ws_message in;
    int bad_messages;
    struct link_conn *next;
} link_conn;

struct link_hub {
    link_secret secret;
    link_hub_callbacks cb;
    link_conn *conns;
};

static log_limit bad_message_log;

link_hub *link_hub_new(const link_secret *secret, const link_hub_callbacks *cb)
{
    link_hub *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->secret = *secret;
    h->cb = *cb;
    return h;
}

void link_hub_free(link_hub *h)
{
    if (!h)
        return;
    link_secret_clear(&h->secret);
    free(h);
}

_Static_assert(sizeof(link_conn) <= LINK_CONN_SIZE, "LINK_CONN_SIZE is too small for a link_conn");

int link_hub_count(const link_hub *h)
{
    int n = 0;
    for (const link_conn *c = h->conns; c; c = c->next)
        n += c->state == CONN_LINKED;
    return n;
}

static void queue_text(link_conn *c, const char *text, size_t len)
{
    if (c->out.queued + len > LINK_MAX_QUEUED) {
        log_warn("link", "bridge link from %s does not read its messages: closing it", c->peer);
        c->state = CONN_CLOSING;
        lws_callback_on_writable(c->wsi);
        return;
    }
    ws_frame_push(&c->out, c->wsi, text, len, LINK_MAX_QUEUED);
}

static void queue_json(link_conn *c, json_t *msg)
{
    char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
    json_decref(msg);
    if (text)
        queue_text(c, text, strlen(text));
    free(text);
}

/* Closes after what is queued (a refusal says why first). */
static void close_after_queue(link_conn *c)
{
    c->state = CONN_CLOSING;
    lws_callback_on_writable(c->wsi);
}

static void report_lost(link_conn *c, const char *why)
{
    int handle = c->handle;
    c->handle = 0;
    if (handle > 0) {
        log_warn("link", "bridge %s (%s) lost: %s", c->hello.bridge, c->peer, why);
        c->hub->cb.on_lost(c->hub->cb.user, handle, why);
    }
}

static void link_error(link_conn *c, const char *code, const char *message)
{
    log_limited(&bad_message_log, LOG_WARN, "link", "bridge link from %s: %s: %s", c->peer, code, message);
    queue_json(c, json_pack("{s:s, s:s, s:s}", "type", "link-error", "code", code, "message", message));
    if (++c->bad_messages > LINK_MAX_BAD_MESSAGES) {
        report_lost(c, "too many malformed messages");
        close_after_queue(c);
    }
}

static void refuse(link_conn *c, const char *reason, const char *message)
{
    log_warn("link", "refused a bridge from %s: %s: %s", c->peer, reason, message);
    queue_json(c, link_refused_new(reason, message));
    close_after_queue(c);
}

static void on_hello(link_conn *c, const json_t *msg)
{
    link_hub *h = c->hub;
    char message[LINK_MESSAGE_MAX];
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!type || strcmp(type, "hello") != 0) {
        refuse(c, "unexpected", "the first message on a bridge link is hello");
        return;
    }
    enum link_refusal r = link_hello_check(&h->secret, c->nonce, msg, &c->hello, message, sizeof message);
    if (r != LINK_ACCEPTED) {
        refuse(c, link_refusal_name(r), message);
        return;
    }
    int handle = h->cb.on_hello(h->cb.user, &c->hello);
    if (handle <= 0) {
        refuse(c, "duplicate-bridge", "a bridge of this id is linked already");
        return;
    }
    c->handle = handle;
    c->state = CONN_LINKED;
    heartbeat_watch_init(&c->watch, HEARTBEAT_INTERVAL_MS, lws_now_usecs() / 1000);
    lws_set_timer_usecs(c->wsi, LWS_SET_TIMER_USEC_CANCEL);
    queue_json(c, link_welcome_new(&h->secret, c->nonce, &c->hello, HEARTBEAT_INTERVAL_MS));
    log_info("link", "bridge %s linked from %s (region %s, capacity %d, version %d.%d)", c->hello.bridge, c->peer,
             c->hello.region[0] ? c->hello.region : "none", c->hello.capacity, c->hello.version, c->hello.minor);
    if (h->cb.on_linked)
        h->cb.on_linked(h->cb.user, handle);
}

static void on_linked_message(link_conn *c, json_t *msg)
{
    link_hub *h = c->hub;
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!type) {
        link_error(c, "bad-message", "a message needs a string type");
        json_decref(msg);
        return;
    }
    if (strcmp(type, "heartbeat") == 0) {
        heartbeat hb;
        char err[128];
        if (heartbeat_parse(msg, &hb, err, sizeof err) < 0)
            link_error(c, "bad-message", err);
        else if (heartbeat_watch_seen(&c->watch, hb.seq, lws_now_usecs() / 1000) < 0)
            link_error(c, "bad-message", "heartbeat seq does not move forward");
        else
            h->cb.on_heartbeat(h->cb.user, c->handle, &hb);
        json_decref(msg);
    } else if (strcmp(type, "hello") == 0) {
        link_error(c, "unexpected", "this link is authenticated already");
        json_decref(msg);
    } else {
        h->cb.on_message(h->cb.user, c->handle, msg);
    }
}

static void on_frame(link_conn *c)
{
    json_error_t jerr;
    json_t *msg = json_loadb(c->in.text, c->in.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(msg)) {
        json_decref(msg);
        if (c->state == CONN_CHALLENGED)
            refuse(c, "bad-hello", "the hello is not a JSON object");
        else
            link_error(c, "bad-message", "not a JSON object");
        return;
    }
    if (c->state == CONN_CHALLENGED)
        on_hello(c, msg);
    else if (c->state == CONN_LINKED) {
        on_linked_message(c, msg);
        return;
    }
    json_decref(msg);
}

static void on_receive(link_conn *c, const char *in, size_t len, bool final, bool binary)
{
    if (c->state == CONN_CLOSING || !ws_message_add(&c->in, in, len, final, LINK_MAX_FRAME))
        return;
    if (binary)
        link_error(c, "bad-message", "control messages are text frames");
    else if (c->in.too_large || !c->in.text)
        link_error(c, "too-large", "control messages are limited to 65536 bytes");
    else
        on_frame(c);
    ws_message_reset(&c->in);
}

static int on_writeable(link_conn *c)
{
    int rc = ws_frame_write(&c->out, c->wsi);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (c->state == CONN_CLOSING) {
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
        return -1;
    }
    return 0;
}

static bool uri_is_link(struct lws *wsi)
{
    char uri[32];
    int n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    return n > 0 && strcmp(uri, LINK_PATH) == 0;
}

static void forget(link_conn *c)
{
    for (link_conn **pc = &c->hub->conns; *pc; pc = &(*pc)->next)
        if (*pc == c) {
            *pc = c->next;
            break;
        }
    ws_frame_clear(&c->out);
    ws_message_reset(&c->in);
}

int link_hub_callback(link_hub *h, struct lws *wsi, int reason, void *user, void *in, size_t len)
{
    link_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return h && uri_is_link(wsi) ? 0 : -1;
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->hub = h;
        if (!lws_get_peer_simple(wsi, c->peer, sizeof c->peer))
            snprintf(c->peer, sizeof c->peer, "an unknown address");
        else if (strncmp(c->peer, "::ffff:", 7) == 0 && strchr(c->peer, '.'))
            memmove(c->peer, c->peer + 7, strlen(c->peer + 7) + 1);   /* IPv4 as IPv4 in the log */
        c->next = h->conns;
        h->conns = c;
        if (link_nonce(c->nonce) < 0)
            return -1;
        queue_json(c, link_challenge_new(c->nonce));
        lws_set_timer_usecs(wsi, (lws_usec_t)LINK_HELLO_TIMEOUT_S * LWS_US_PER_SEC);
        return 0;
    case LWS_CALLBACK_TIMER:
        if (c->state == CONN_CHALLENGED)
            refuse(c, "unexpected", "no hello within 10 s");
        return 0;
    case LWS_CALLBACK_RECEIVE:
        on_receive(c, in, len, lws_is_final_fragment(wsi), lws_frame_is_binary(wsi));
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return on_writeable(c);
    case LWS_CALLBACK_CLOSED:
        report_lost(c, "link closed");
        forget(c);
        return 0;
    default:
        return 0;
    }
}

int link_hub_send(link_hub *h, int handle, json_t *msg)
{
    for (link_conn *c = h->conns; c; c = c->next)
        if (c->handle == handle && c->state == CONN_LINKED) {
            queue_json(c, msg);
            return 0;
        }
    json_decref(msg);
    return -1;
}

void link_hub_tick(link_hub *h, int64_t now_ms)
{
    for (link_conn *c = h->conns; c; c = c->next)
        if (c->state == CONN_LINKED && heartbeat_watch_lost(&c->watch, now_ms)) {
            report_lost(c, "no heartbeat for 3 intervals");
            close_after_queue(c);
        }
}
