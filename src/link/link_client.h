/* The bridge's side of the control link: it connects out to each focus URL
 * (ws:// or wss://, certificate verified), answers the focus's challenge
 * with its hello, checks the focus's welcome, and from then on carries
 * control messages both ways. A link that closes or is refused is tried
 * again with exponential backoff (1 s doubling to 30 s, with jitter). It
 * runs its own libwebsockets loop on the calling thread. */
#ifndef STOA_LINK_CLIENT_H
#define STOA_LINK_CLIENT_H

#include <jansson.h>

#include "link/link_auth.h"

#define LINK_CLIENT_MAX_FOCUS 8

typedef struct link_client link_client;

typedef struct link_client_config {
    const char *const *urls;       /* ws://host:port/bridge or wss://... */
    int n_urls;                    /* 1..LINK_CLIENT_MAX_FOCUS */
    const link_secret *secret;     /* copied */
    const link_hello *hello;       /* what the bridge says of itself (nonce made per link) */
    const char *ca_file;           /* for wss://; NULL: the system's CA store */
    int tick_ms;                   /* on_tick interval, > 0 */
} link_client_config;

typedef struct link_client_callbacks {
    /* Link i (the index of its URL) was welcomed: heartbeats every
     * heartbeat_ms from now on. */
    void (*on_linked)(void *user, int link, int heartbeat_ms);
    /* A control message from focus i (takes msg). */
    void (*on_message)(void *user, int link, json_t *msg);
    /* Link i closed after having been linked. */
    void (*on_unlinked)(void *user, int link);
    /* On the loop's thread, after link_client_wake. */
    void (*on_wake)(void *user);
    /* Every tick_ms on the loop's thread. */
    void (*on_tick)(void *user);
    void *user;
} link_client_callbacks;

/* Starts connecting to every URL. Returns NULL (logged) when a URL cannot
 * be parsed or the context cannot be made. */
link_client *link_client_new(const link_client_config *cfg, const link_client_callbacks *cb);
/* One iteration of the loop. Returns < 0 on a fatal error. */
int link_client_service(link_client *c);
/* Thread-safe and async-signal-safe: makes the loop call on_wake. */
void link_client_wake(link_client *c);
/* Queues msg (takes it) for focus i. Returns 0, or -1 when link i is not
 * linked (the message is dropped). */
int link_client_send(link_client *c, int link, json_t *msg);
/* How many links are welcomed now. */
int link_client_linked(const link_client *c);
void link_client_free(link_client *c);

#endif
