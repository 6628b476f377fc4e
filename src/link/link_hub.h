/* The focus's side of the control link over the network: bridges connect to
 * the focus's HTTP port (WebSocket path /bridge, subprotocol stoa-bridge),
 * are challenged and authenticated (link_auth.h), then exchange the
 * bridge-control messages of docs/protocol.md §2 as text frames and send
 * heartbeats. It knows neither rooms nor media: what a bridge says goes to
 * the callbacks, on the control thread. */
#ifndef STOA_LINK_HUB_H
#define STOA_LINK_HUB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "link/heartbeat.h"
#include "link/link_auth.h"

#define LINK_MAX_FRAME 65536           /* a control message, bytes */
#define LINK_MAX_QUEUED (4 * 1024 * 1024)   /* unsent bytes before a link is dropped */
#define LINK_HELLO_TIMEOUT_S 10        /* from connection to hello */
#define LINK_MAX_BAD_MESSAGES 100      /* malformed messages before a link is dropped */

struct lws;
typedef struct link_hub link_hub;

typedef struct link_hub_callbacks {
    /* An authenticated bridge: returns its handle (> 0), or -1 to refuse
     * it as duplicate-bridge (its id is linked already). */
    int (*on_hello)(void *user, const link_hello *hello);
    /* The welcome is queued: messages to handle go out from now on. May be NULL. */
    void (*on_linked)(void *user, int handle);
    /* A message from a linked bridge other than a heartbeat (takes msg). */
    void (*on_message)(void *user, int handle, json_t *msg);
    void (*on_heartbeat)(void *user, int handle, const heartbeat *hb);
    /* The link is gone (closed, or its heartbeats stopped); once per
     * handle. why is a short sentence for the log. */
    void (*on_lost)(void *user, int handle, const char *why);
    void *user;
} link_hub_callbacks;

/* secret is copied. Returns NULL when out of memory. */
link_hub *link_hub_new(const link_secret *secret, const link_hub_callbacks *cb);
/* Closes nothing (lws does, with the context); forgets the links. */
void link_hub_free(link_hub *h);

/* The lws protocol callback of the stoa-bridge protocol, to be called with
 * the hub (per-connection user data of LINK_CONN_SIZE bytes). */
int link_hub_callback(link_hub *h, struct lws *wsi, int reason, void *user, void *in, size_t len);
#define LINK_CONN_SIZE 2048            /* per-connection user data lws allocates */

/* Queues msg (takes it) for the bridge. Returns 0, or -1 when no link has
 * this handle. */
int link_hub_send(link_hub *h, int handle, json_t *msg);
/* Declares lost the links whose heartbeats stopped; call every few hundred
 * milliseconds with the monotonic clock. */
void link_hub_tick(link_hub *h, int64_t now_ms);
/* Linked bridges. */
int link_hub_count(const link_hub *h);

#endif
