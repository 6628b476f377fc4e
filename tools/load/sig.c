/* WebSocket plumbing of stoa-load's signalling: see sig.h. */
#include "sig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void participant_fail(participant *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof p->error, fmt, ap);
    va_end(ap);
    if (g_run->cfg.verbose)
        fprintf(stderr, "stoa-load: %s: %s\n", p->name, p->error);
}

int sig_send(sig_conn *s, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text || s->closed || s->queued >= SIG_MAX_QUEUED) {
        free(text);
        return -1;
    }
    size_t len = strlen(text);
    sig_out *o = malloc(sizeof *o + LWS_PRE + len);
    if (!o) {
        free(text);
        return -1;
    }
    o->next = NULL;
    o->len = len;
    memcpy(o->data + LWS_PRE, text, len);
    free(text);
    if (s->tail)
        s->tail->next = o;
    else
        s->head = o;
    s->tail = o;
    s->queued++;
    if (s->wsi && s->open)
        lws_callback_on_writable(s->wsi);
    return 0;
}

void sig_close(sig_conn *s)
{
    s->closing = true;
    if (s->wsi && s->open)
        lws_callback_on_writable(s->wsi);
}

static void drop_queue(sig_conn *s)
{
    while (s->head) {
        sig_out *o = s->head;
        s->head = o->next;
        free(o);
    }
    s->tail = NULL;
    s->queued = 0;
}

void sig_free(participant *p)
{
    sig_conn *s = p->sig;
    if (!s)
        return;
    drop_queue(s);
    json_decref(s->last_offer);
    free(s->rx);
    free(s->state);
    free(s);
    p->sig = NULL;
}

static void deliver(sig_conn *s)
{
    json_error_t err;
    json_t *msg = json_loadb(s->rx, s->rx_len, 0, &err);
    s->rx_len = 0;
    if (!msg || !json_is_object(msg)) {
        json_decref(msg);
        return;
    }
    s->proto->on_message(s, msg);
    json_decref(msg);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    sig_conn *s = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!s)
            return -1;
        s->open = true;
        s->p->ws_open_ns = mono_ns();
        s->proto->on_open(s);
        if (s->head)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!s)
            return -1;
        if (s->rx_len + len > SIG_MAX_MESSAGE) {
            participant_fail(s->p, "signalling message larger than %d bytes", SIG_MAX_MESSAGE);
            return -1;
        }
        if (s->rx_len + len + 1 > s->rx_cap) {
            size_t cap = s->rx_cap ? s->rx_cap : 65536;
            while (cap < s->rx_len + len + 1)
                cap *= 2;
            char *rx = realloc(s->rx, cap);
            if (!rx)
                return -1;
            s->rx = rx;
            s->rx_cap = cap;
        }
        memcpy(s->rx + s->rx_len, in, len);
        s->rx_len += len;
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            deliver(s);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!s)
            return -1;
        if (s->head) {
            sig_out *o = s->head;
            int n = lws_write(wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT);
            s->head = o->next;
            if (!s->head)
                s->tail = NULL;
            s->queued--;
            free(o);
            if (n < 0)
                return -1;
            if (s->head)
                lws_callback_on_writable(wsi);
            else if (s->closing)
                lws_callback_on_writable(wsi);
        } else if (s->closing) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s) {
            participant_fail(s->p, "WebSocket connection failed: %s", in ? (const char *)in : "?");
            s->closed = true;
            s->wsi = NULL;
        }
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (s) {
            s->closed = true;
            s->open = false;
            s->wsi = NULL;
            s->proto->on_close(s);
        }
        break;
    default:
        break;
    }
    return 0;
}

const struct lws_protocols sig_protocols[] = {
    { "stoa", callback, 0, 65536, 0, NULL, 0 },
    { "janus-protocol", callback, 0, 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

int sig_connect(load_run *run, participant *p, const sig_proto *proto, struct lws_context *ctx)
{
    sig_conn *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->p = p;
    s->proto = proto;
    p->sig = s;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = run->cfg.host;
    ci.port = run->cfg.port;
    snprintf(s->path, sizeof s->path, "%s", run->cfg.path);
    if (run->cfg.regions[0]) {
        /* The region of participant i is the (i mod n)-th of the list. */
        int n = 1;
        for (const char *c = run->cfg.regions; *c; c++)
            n += *c == ',';
        const char *r = run->cfg.regions;
        for (int k = p->index % n; k > 0; k--)
            r = strchr(r, ',') + 1;
        size_t len = strcspn(r, ",");
        size_t at = strlen(s->path);
        snprintf(s->path + at, sizeof s->path - at, "%sregion=%.*s", strchr(s->path, '?') ? "&" : "?", (int)len, r);
    }
    ci.path = s->path;
    ci.host = run->cfg.host;
    ci.origin = run->cfg.host;
    ci.protocol = proto->name;
    ci.local_protocol_name = proto->name;
    ci.opaque_user_data = s;
    /* Many people come from as many addresses: a server's per-address
     * connection cap must not be what a big loopback run measures. */
    char iface[32];
    if (run->cfg.source_addresses > 0) {
        snprintf(iface, sizeof iface, "127.0.1.%d", 1 + p->index % run->cfg.source_addresses);
        ci.iface = iface;
    }
    ci.pwsi = &s->wsi;
    if (!lws_client_connect_via_info(&ci)) {
        participant_fail(p, "cannot start the WebSocket connection");
        s->closed = true;
        return -1;
    }
    return 0;
}

void sig_tick_all(load_run *run, int64_t now)
{
    for (int i = 0; i < run->n_total; i++) {
        sig_conn *s = run->parts[i].sig;
        if (s && s->open && !s->closed && s->proto->on_tick)
            s->proto->on_tick(s, now);
    }
}
