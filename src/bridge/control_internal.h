/* What the bridge's control side shares between its files (control.c: the
 * registry, requests and responses; control_relay.c: the relay requests).
 * Control thread only. */
#ifndef STOA_BRIDGE_CONTROL_INTERNAL_H
#define STOA_BRIDGE_CONTROL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bridge/bridge.h"
#include "bridge/worker.h"

typedef struct reg_endpoint {
    char id[ENDPOINT_ID_MAX];
    endpoint_kind kind;
    char via[ENDPOINT_ID_MAX];     /* a proxy's relay */
    uint64_t serial;
    int worker;                    /* the worker whose part of the conference holds it */
    /* Its last sources (a configure or proxy request, parsed), for its
     * proxies on the conference's other workers; NULL: it sends nothing. */
    worker_cmd *sources;
    bool proxied;                  /* it has a proxy on every other worker of the conference */
    struct reg_endpoint *next;
} reg_endpoint;

#define CONFERENCE_MAX_SHARDS 8   /* workers one conference spreads over */

/* What the control thread knows of a conference; the workers own the rest.
 * shards[0] == worker holds its relays to other bridges and their proxies;
 * each shard has an internal relay to each other (control_shards.c). */
typedef struct reg_conference {
    char name[CONFERENCE_NAME_MAX];
    int worker;
    int shards[CONFERENCE_MAX_SHARDS];
    int n_shards;
    reg_endpoint *endpoints;
    struct reg_conference *next;
} reg_conference;

struct bridge {
    bridge_config cfg;
    char **public_ips;
    dtls_ctx *dtls;
    worker *workers;
    int n_workers;
    queue events;
    bridge_emit_fn emit;
    bridge_wake_fn wake;
    void *user;
    reg_conference *conferences;
    uint64_t next_serial;
    uint32_t next_channel;         /* relay channel ids, unique in this process */
};

/* control.c: the registry of conferences and endpoints, responses, commands */
reg_conference *reg_find(bridge *b, const char *name);
reg_endpoint **reg_find_endpoint(reg_conference *c, const char *id);
void reg_close_if_empty(bridge *b, reg_conference *c);
void reg_remove(bridge *b, reg_conference *c, reg_endpoint **e);
int pick_worker(bridge *b);
void respond_error(bridge *b, json_int_t id, const char *code, const char *message);
void respond_ok(bridge *b, const char *type, json_int_t id);
const char *string_field(json_t *obj, const char *key, size_t max);
bool push_command(bridge *b, int worker_index, worker_cmd *cmd);
void push_and_ack(bridge *b, int worker_index, worker_cmd *cmd, json_int_t id, const char *type);
worker_cmd *new_command(enum worker_cmd_type type, const char *conference, const char *endpoint);
/* Whether conference c (NULL: not yet open) can take a new endpoint named
 * ep_id on worker w; responds with the reason when not. */
bool room_for(bridge *b, reg_conference *c, json_int_t id, const char *ep_id, int w);
/* The "sources" (and "receives") of a configure or proxy request into cmd;
 * false after responding with the error. */
bool parse_sources(bridge *b, json_t *req, json_int_t id, worker_cmd *cmd);
reg_endpoint *reg_add(reg_conference *c, const char *id, endpoint_kind kind, const char *via, uint64_t serial);
/* The conference's registry entry, made (on the least busy worker) if new. */
reg_conference *reg_open(bridge *b, const char *name);

/* control_relay.c: the relay requests */
void handle_relay_open(bridge *b, json_t *req, json_int_t id, const char *conf_name, const char *relay_id);
void handle_relay_peer(bridge *b, json_t *req, json_int_t id, reg_conference *c, const char *relay_id);
void handle_proxy(bridge *b, json_t *req, json_int_t id, const char *conf_name, const char *ep_id);
/* Forgets an endpoint; a relay's proxies with it. */
void reg_expire(bridge *b, reg_conference *c, reg_endpoint **e);

/* control_shards.c: one conference over several workers */
/* The worker a new participant of c goes to, its part of the conference
 * opened (with relays to the others) when new; -1: out of memory. */
int shard_for_newcomer(bridge *b, reg_conference *c);
/* Endpoints worker w's part of c holds: its own, proxies of the others'
 * senders, its internal relays. */
int shard_count(const reg_conference *c, int w);
/* e's sources are set (configure, proxy): its proxies on the other workers
 * are made or renewed. */
void shard_publish(bridge *b, reg_conference *c, reg_endpoint *e);
/* A pause of e's sources reaches its proxies. */
void shard_pause(bridge *b, reg_conference *c, reg_endpoint *e, const worker_cmd *pause);
/* e leaves: its proxies go; its sources are freed. */
void shard_forget(bridge *b, reg_conference *c, reg_endpoint *e);
/* c closes: the internal relays (and their proxies) go. */
void shard_close(bridge *b, reg_conference *c);
/* Whether the conference's speaker events from worker w are the ones told
 * (every worker hears all audio; the first one's decision is the one). */
bool shard_speaks(const bridge *b, const char *conference, int w);

/* control_reconcile.c: what a focus linking anew finds and clears */
void handle_list_conferences(bridge *b, json_t *req, json_int_t id);
void handle_expire_conference(bridge *b, json_int_t id, const char *conf_name);

#endif
