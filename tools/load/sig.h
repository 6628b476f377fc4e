/* Signalling connections of stoa-load: one WebSocket per participant
 * (libwebsockets client, main thread only), a bounded queue of outgoing text
 * messages, reassembly of fragmented incoming ones. The protocol modules
 * (signal_stoa.c: Stoa's JSON; signal_janus.c: the Janus VideoRoom API) get
 * each complete message as JSON. */
#ifndef STOA_LOAD_SIGNAL_H
#define STOA_LOAD_SIGNAL_H

#include <jansson.h>
#include <libwebsockets.h>

#include "load.h"

#define SIG_MAX_QUEUED 64
#define SIG_MAX_MESSAGE (4 << 20)

typedef struct sig_out {
    struct sig_out *next;
    size_t len;
    unsigned char data[];                /* LWS_PRE bytes, then the text */
} sig_out;

typedef struct sig_conn sig_conn;

typedef struct sig_proto {
    const char *name;                    /* WebSocket subprotocol */
    void (*on_open)(sig_conn *s);
    void (*on_message)(sig_conn *s, json_t *msg);
    void (*on_close)(sig_conn *s);
    void (*on_tick)(sig_conn *s, int64_t now);   /* keepalives, timeouts */
    void (*leave)(sig_conn *s);
} sig_proto;

struct sig_conn {
    participant *p;
    const sig_proto *proto;
    struct lws *wsi;
    sig_out *head, *tail;
    int queued;
    char *rx;
    size_t rx_len, rx_cap;
    bool open, closed, closing;
    void *state;                         /* the protocol module's */
    json_t *last_offer;                  /* Stoa: the latest offer, to answer again */
    char path[256];                      /* the URL path it connects to (with its region) */
    json_int_t heights_version;          /* Stoa: the offer whose cameras' heights were last sent */
    int64_t heights_sent_ns;
};

/* Opens participant p's WebSocket with proto. Returns 0 or -1. */
int sig_connect(load_run *run, participant *p, const sig_proto *proto, struct lws_context *ctx);
/* Queues a JSON message (reference stolen). Returns 0 or -1 (queue full). */
int sig_send(sig_conn *s, json_t *msg);
/* Asks for the connection to be closed once the queue is empty. */
void sig_close(sig_conn *s);
/* Runs the protocol's tick for every open connection. */
void sig_tick_all(load_run *run, int64_t now);
void sig_free(participant *p);
/* The lws protocol table for a context serving both protocols. */
extern const struct lws_protocols sig_protocols[];

extern const sig_proto sig_stoa;
/* Answers the latest offer again (a client whose answer was refused). */
void sig_stoa_answer_again(sig_conn *s);
extern const sig_proto sig_janus;

/* Records a participant's failure (first reason wins) and prints it when verbose. */
void participant_fail(participant *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
