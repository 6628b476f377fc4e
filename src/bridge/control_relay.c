/* The bridge's relay requests from the focus (docs/protocol.md, "Relays"):
 * relay-open, relay-peer, proxy, and what expiring a relay takes with it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control_internal.h"
#include "bridge/relay.h"
#include "core/log.h"

/* "peer": {address (IPv4), port, channel} into cmd. */
static bool parse_peer(json_t *peer, worker_cmd *cmd)
{
    const char *address = string_field(peer, "address", 64);
    json_t *port = json_object_get(peer, "port"), *channel = json_object_get(peer, "channel");
    struct sockaddr_in *sin = (struct sockaddr_in *)&cmd->peer_addr;
    if (!address || !json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535 ||
        !json_is_integer(channel) || json_integer_value(channel) < 1 || json_integer_value(channel) > RELAY_CHANNEL_MAX ||
        inet_pton(AF_INET, address, &sin->sin_addr) != 1)
        return false;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)json_integer_value(port));
    cmd->peer_addr_len = sizeof *sin;
    cmd->peer_channel = (uint32_t)json_integer_value(channel);
    return true;
}

/* A 16-byte key and 12-byte salt, as 56 hex digits. */
static bool parse_key(json_t *v, uint8_t out[28])
{
    const char *hex = json_string_value(v);
    if (!hex || strlen(hex) != 56)
        return false;
    for (int i = 0; i < 28; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
            return false;
        out[i] = (uint8_t)byte;
    }
    return true;
}



void handle_relay_open(bridge *b, json_t *req, json_int_t id, const char *conf_name, const char *relay_id)
{
    reg_conference *c = reg_find(b, conf_name);
    if (!room_for(b, c, id, relay_id, c ? c->worker : pick_worker(b)))
        return;
    json_t *keys = json_object_get(req, "keys"), *peer = json_object_get(req, "peer");
    stoa_srtp_keys k = { .profile = STOA_SRTP_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12 };
    worker_cmd *peer_cmd = new_command(WORKER_RELAY_PEER, conf_name, relay_id);
    if (!peer_cmd) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (!parse_key(json_object_get(keys, "send"), k.local) || !parse_key(json_object_get(keys, "receive"), k.remote) ||
        (peer && !parse_peer(peer, peer_cmd))) {
        free(peer_cmd);
        respond_error(b, id, "bad-request",
                      "relay-open needs keys.send and keys.receive (56 hex digits: AES-128-GCM key and salt) "
                      "and an optional peer {address (IPv4), port, channel (1..2^24-1)}");
        return;
    }
    if (!(c = reg_open(b, conf_name))) {
        free(peer_cmd);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    endpoint *ep = endpoint_new(relay_id);
    worker_cmd *cmd = new_command(WORKER_ADD_ENDPOINT, conf_name, relay_id);
    if (!ep || !cmd || stoa_srtp_init(&ep->srtp, &k) < 0) {
        endpoint_free(ep);
        free(cmd);
        free(peer_cmd);
        reg_close_if_empty(b, c);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    ep->srtp_ready = true;
    ep->kind = ENDPOINT_RELAY;
    ep->state = ENDPOINT_CONNECTED;
    ep->n_announced = 0;   /* nothing until the far side subscribes */
    ep->bwe = bwe_new(WORKER_BWE_START_BPS, WORKER_BWE_MIN_BPS, WORKER_BWE_MAX_BPS);
    b->next_channel = b->next_channel % RELAY_CHANNEL_MAX + 1;
    ep->channel = b->next_channel;
    ep->serial = ++b->next_serial;
    uint32_t channel = ep->channel;
    cmd->ep = ep;
    if (!reg_add(c, relay_id, ENDPOINT_RELAY, NULL, ep->serial) || !push_command(b, c->worker, cmd)) {
        reg_endpoint **e = reg_find_endpoint(c, relay_id);
        if (e)
            reg_remove(b, c, e);
        else
            reg_close_if_empty(b, c);
        free(peer_cmd);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (!peer)
        free(peer_cmd);
    else if (!push_command(b, c->worker, peer_cmd))
        log_warn("bridge", "relay %s/%s: out of memory for its peer", conf_name, relay_id);
    b->emit(b->user, json_pack("{s:s, s:I, s:s, s:s, s:i, s:I}", "type", "relay-open-ok", "id", id, "endpoint",
                               relay_id, "address", b->public_ips[0] ? b->public_ips[0] : "127.0.0.1", "port",
                               b->cfg.media_port + c->worker, "channel", (json_int_t)channel));
}

void handle_relay_peer(bridge *b, json_t *req, json_int_t id, reg_conference *c, const char *relay_id)
{
    worker_cmd *cmd = new_command(WORKER_RELAY_PEER, c->name, relay_id);
    if (!cmd) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (!parse_peer(json_object_get(req, "peer"), cmd)) {
        free(cmd);
        respond_error(b, id, "bad-request", "relay-peer needs peer {address (IPv4), port, channel (1..2^24-1)}");
        return;
    }
    push_and_ack(b, c->worker, cmd, id, "relay-peer");
}

/* A participant of the conference on another bridge, its media arriving
 * over the named relay; a second proxy request for it renews its sources. */
void handle_proxy(bridge *b, json_t *req, json_int_t id, const char *conf_name, const char *ep_id)
{
    reg_conference *c = reg_find(b, conf_name);
    const char *relay_id = string_field(req, "relay", ENDPOINT_ID_MAX);
    reg_endpoint **relay = c && relay_id ? reg_find_endpoint(c, relay_id) : NULL;
    if (!relay || (*relay)->kind != ENDPOINT_RELAY) {
        respond_error(b, id, "unknown-relay", "relay names no relay of this conference");
        return;
    }
    reg_endpoint **e = reg_find_endpoint(c, ep_id);
    if (e && ((*e)->kind != ENDPOINT_PROXY || strcmp((*e)->via, relay_id) != 0)) {
        respond_error(b, id, "duplicate-endpoint", "an endpoint with this id exists in the conference");
        return;
    }
    if (!e && !room_for(b, c, id, ep_id, c->worker))
        return;
    worker_cmd *configure = new_command(WORKER_CONFIGURE, conf_name, ep_id);
    if (!configure) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    if (!parse_sources(b, req, id, configure)) {
        free(configure);
        return;
    }
    worker_cmd *kept = malloc(sizeof *kept);
    if (!kept) {
        free(configure);
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    memcpy(kept, configure, sizeof *kept);
    if (!e) {
        endpoint *ep = endpoint_new(ep_id);
        worker_cmd *add = new_command(WORKER_ADD_ENDPOINT, conf_name, ep_id);
        if (!ep || !add) {
            endpoint_free(ep);
            free(add);
            free(configure);
            free(kept);
            respond_error(b, id, "unavailable", "out of memory");
            return;
        }
        ep->kind = ENDPOINT_PROXY;
        ep->state = ENDPOINT_CONNECTED;
        snprintf(ep->via_id, sizeof ep->via_id, "%s", relay_id);
        ep->serial = ++b->next_serial;
        add->ep = ep;
        if (!reg_add(c, ep_id, ENDPOINT_PROXY, relay_id, ep->serial)) {
            endpoint_free(ep);
            free(add);
            free(configure);
            free(kept);
            respond_error(b, id, "unavailable", "out of memory");
            return;
        }
        if (!push_command(b, c->worker, add)) {
            reg_remove(b, c, reg_find_endpoint(c, ep_id));
            free(configure);
            free(kept);
            respond_error(b, id, "unavailable", "out of memory");
            return;
        }
        e = reg_find_endpoint(c, ep_id);
    }
    free((*e)->sources);
    (*e)->sources = kept;
    if (!push_command(b, c->worker, configure)) {
        respond_error(b, id, "unavailable", "out of memory");
        return;
    }
    respond_ok(b, "proxy", id);
    shard_publish(b, c, *e);
}

/* Forgets an endpoint (with a relay, its proxies: the worker drops them
 * with it). */
void reg_expire(bridge *b, reg_conference *c, reg_endpoint **e)
{
    if ((*e)->kind == ENDPOINT_RELAY) {
        char relay_id[ENDPOINT_ID_MAX];
        snprintf(relay_id, sizeof relay_id, "%s", (*e)->id);
        for (reg_endpoint **p = &c->endpoints; *p;) {
            if ((*p)->kind == ENDPOINT_PROXY && strcmp((*p)->via, relay_id) == 0) {
                reg_endpoint *gone = *p;
                *p = gone->next;
                shard_forget(b, c, gone);   /* its proxies on the other workers */
                free(gone);
            } else {
                p = &(*p)->next;
            }
        }
        e = reg_find_endpoint(c, relay_id);
    }
    reg_remove(b, c, e);
}
