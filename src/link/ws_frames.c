/* Outgoing frame queues and incoming message assembly on libwebsockets. */
#include "link/ws_frames.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

struct ws_frame {
    ws_frame *next;
    size_t len;
    unsigned char data[];          /* LWS_PRE bytes, then the text */
};

int ws_frame_push(ws_frame_queue *q, struct lws *wsi, const char *text, size_t len, size_t max_queued)
{
    if (q->queued + len > max_queued)
        return -1;
    ws_frame *f = malloc(sizeof *f + LWS_PRE + len);
    if (!f)
        return -1;
    f->next = NULL;
    f->len = len;
    memcpy(f->data + LWS_PRE, text, len);
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->queued += len;
    lws_callback_on_writable(wsi);
    return 0;
}

int ws_frame_write(ws_frame_queue *q, struct lws *wsi)
{
    ws_frame *f = q->head;
    if (f) {
        if (lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
            return -1;
        q->head = f->next;
        if (!q->head)
            q->tail = NULL;
        q->queued -= f->len;
        free(f);
    }
    if (!q->head)
        return 0;
    lws_callback_on_writable(wsi);
    return 1;
}

void ws_frame_clear(ws_frame_queue *q)
{
    while (q->head) {
        ws_frame *f = q->head;
        q->head = f->next;
        free(f);
    }
    q->tail = NULL;
    q->queued = 0;
}

bool ws_message_add(ws_message *m, const void *in, size_t len, bool final, size_t max)
{
    if (!m->too_large && m->len + len <= max) {
        char *grown = realloc(m->text, m->len + len + 1);
        if (grown) {
            m->text = grown;
            memcpy(m->text + m->len, in, len);
            m->text[m->len + len] = '\0';
        } else {
            m->too_large = true;
        }
    } else if (!m->too_large) {
        m->too_large = true;
    }
    if (m->too_large) {
        free(m->text);
        m->text = NULL;
    }
    m->len += len;
    return final;
}

void ws_message_reset(ws_message *m)
{
    free(m->text);
    m->text = NULL;
    m->len = 0;
    m->too_large = false;
}
