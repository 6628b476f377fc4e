/* Text frames on a libwebsockets connection: the queue of what waits to be
 * written (one frame per writeable callback, LWS_PRE reserved before each),
 * and a message gathered from its fragments with a size bound. Used by the
 * signalling WebSockets and both ends of the bridge link. */
#ifndef STOA_WS_FRAMES_H
#define STOA_WS_FRAMES_H

#include <stdbool.h>
#include <stddef.h>

struct lws;
typedef struct ws_frame ws_frame;

typedef struct ws_frame_queue {
    ws_frame *head, *tail;
    size_t queued;                 /* bytes of text waiting */
} ws_frame_queue;

/* Copies text to the end of the queue and asks for a writeable callback.
 * Returns 0, or -1 when it would take the queue past max_queued bytes or
 * memory is short (nothing queued). */
int ws_frame_push(ws_frame_queue *q, struct lws *wsi, const char *text, size_t len, size_t max_queued);
/* Writes the first frame, if any, and asks for another callback when more
 * wait. Returns 1 when frames remain, 0 when the queue is empty, -1 when the
 * write failed (the connection should close). */
int ws_frame_write(ws_frame_queue *q, struct lws *wsi);
void ws_frame_clear(ws_frame_queue *q);

/* One incoming message. */
typedef struct ws_message {
    char *text;                    /* NUL-terminated; NULL until a fragment arrives */
    size_t len;                    /* bytes so far, counted past max too */
    bool too_large;                /* past max: text dropped, the rest only counted */
} ws_message;

/* Adds a fragment. Returns true when final: then the message is complete
 * (check too_large) and must be released with ws_message_reset. */
bool ws_message_add(ws_message *m, const void *in, size_t len, bool final, size_t max);
void ws_message_reset(ws_message *m);

#endif
