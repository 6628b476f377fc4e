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
    struct reg_endpoint *next;
} reg_endpoint;

/* What the control thread knows of a conference; the worker owns the rest. */
typedef struct reg_conference {
    char name[CONFERENCE_NAME_MAX];
    int worker;
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
int reg_count(const reg_conference *c);
bool room_for(bridge *b, reg_conference *c, json_int_t id, const char *ep_id);
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

/* control_reconcile.c: what a focus linking anew finds and clears */
void handle_list_conferences(bridge *b, json_t *req, json_int_t id);
void handle_expire_conference(bridge *b, json_int_t id, const char *conf_name);

#endif
