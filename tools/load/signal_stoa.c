/* Stoa's signalling (docs/protocol.md section 1) for one simulated
 * participant: join, answer every offer, ignore what it does not know. */
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_load.h"
#include "sig.h"
#include "core/random.h"

#define ANSWER_CAP (256 * 1024)

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void stoa_open(sig_conn *s)
{
    char room[64];
    if (g_run->cfg.room_prefix[0])
        snprintf(room, sizeof room, "%s-%d", g_run->cfg.room_prefix, s->p->room);
    else
        snprintf(room, sizeof room, "load-%d-%d", (int)getpid(), s->p->room);
    sig_send(s, json_pack("{s:s, s:s, s:s}", "type", "join", "room", room, "name", s->p->name));
}

/* Roles of the offer's sections: our own first audio and first video send
 * (when we publish), any other own section is inactive, the rest receive. */
static void choose_roles(const participant *p, const lsdp *o, json_t *mids, enum lsdp_role *roles)
{
    bool audio_done = false, video_done = false;
    for (size_t i = 0; i < o->n_media; i++) {
        const lsdp_media *m = &o->media[i];
        json_t *entry = json_object_get(mids, m->mid);
        const char *owner = jstr(entry, "participant");
        const char *kind = jstr(entry, "kind");
        if (!kind)
            kind = m->kind;
        if (m->port == 0) {
            roles[i] = LSDP_REJECT;
        } else if (owner && strcmp(owner, p->id) == 0) {
            if (strcmp(kind, "audio") == 0 && !audio_done) {
                roles[i] = p->publishes ? LSDP_SEND_AUDIO : LSDP_INACTIVE;
                audio_done = true;
            } else if (strcmp(kind, "video") == 0 && !video_done) {
                roles[i] = p->publishes && !g_run->cfg.audio_only ? LSDP_SEND_VIDEO : LSDP_INACTIVE;
                video_done = true;
            } else {
                roles[i] = LSDP_INACTIVE;
            }
        } else {
            roles[i] = LSDP_RECVONLY;
        }
    }
}

static void on_offer(sig_conn *s, json_t *msg)
{
    participant *p = s->p;
    const char *sdp = jstr(msg, "sdp");
    json_t *version = json_object_get(msg, "version");
    if (!sdp || !json_is_integer(version)) {
        participant_fail(p, "offer without sdp or version");
        return;
    }
    static lsdp offer;
    static char answer[ANSWER_CAP];
    static enum lsdp_role roles[LSDP_MAX_MEDIA];
    char err[160];
    if (lsdp_parse(sdp, strlen(sdp), &offer, err, sizeof err) < 0) {
        participant_fail(p, "unusable offer: %s", err);
        return;
    }
    choose_roles(p, &offer, json_object_get(msg, "mids"), roles);
    pc *c = p->n_pcs ? p->pcs[0] : NULL;
    if (!c) {
        if (offer.n_candidates == 0) {
            participant_fail(p, "offer without a usable candidate");
            return;
        }
        c = pc_new(p, g_run->cfg.bind_ip);
        if (!c) {
            participant_fail(p, "cannot create a UDP socket");
            return;
        }
        p->pcs[p->n_pcs++] = c;
    }
    lsdp_local l = { .ufrag = c->local_ufrag, .pwd = c->local_pwd, .fingerprint = dtls_ctx_fingerprint(g_run->dtls),
                     .setup = "active", .audio_ssrc = p->audio_ssrc,
                     .video_ssrc = g_run->cfg.audio_only ? 0 : p->video_ssrc, .cname = p->name,
                     .stream_id = p->name, .session_id = (uint64_t)p->index + 1,
                     .simulcast = g_run->cfg.simulcast };
    if (g_run->hooks && g_run->hooks->before_answer)
        g_run->hooks->before_answer(p, &offer, &l);
    int len = lsdp_write_answer(&offer, roles, &l, answer, sizeof answer);
    if (len < 0) {
        participant_fail(p, "answer too large");
        return;
    }
    sig_send(s, json_pack("{s:s, s:s%, s:O}", "type", "answer", "sdp", answer, (size_t)len, "version", version));
    if (!c->have_remote) {
        struct sockaddr_in *r = &c->remote;
        r->sin_family = AF_INET;
        r->sin_port = htons(offer.candidates[0].port);
        if (inet_pton(AF_INET, offer.candidates[0].ip, &r->sin_addr) != 1 ||
            sdp_fingerprint_decode(offer.fingerprint, c->remote_fp) < 0) {
            participant_fail(p, "bad candidate or fingerprint in the offer");
            return;
        }
        snprintf(c->remote_ufrag, sizeof c->remote_ufrag, "%s", offer.ice_ufrag);
        snprintf(c->remote_pwd, sizeof c->remote_pwd, "%s", offer.ice_pwd);
        c->controlling = true;           /* Stoa is ICE-lite */
        c->dtls_server = strcmp(offer.setup, "active") == 0;
        c->send = true;
        c->mid_ext = true;
        c->twcc_ext = true;
        for (size_t i = 0; i < offer.n_media; i++)
            if (roles[i] == LSDP_SEND_VIDEO && offer.media[i].n_rids == 3 && g_run->cfg.simulcast &&
                !g_run->cfg.audio_only)
                c->simulcast = true;
        c->have_remote = true;
        if (g_run->cfg.ice_tcp && pc_use_tcp(c, g_run->cfg.bind_ip) < 0) {
            participant_fail(p, "cannot connect over ICE-TCP");
            return;
        }
        pc_start(g_run, c);
    }
}

static void stoa_message(sig_conn *s, json_t *msg)
{
    participant *p = s->p;
    const char *type = jstr(msg, "type");
    if (!type)
        return;
    if (getenv("STOA_LOAD_TRACE"))
        fprintf(stderr, "stoa-load: %s <- %s\n", p->name, type);
    if (strcmp(type, "joined") == 0) {
        const char *id = jstr(msg, "id");
        if (id)
            snprintf(p->id, sizeof p->id, "%s", id);
        p->joined = true;
        /* Our devices are on (the server may pause sources whose owner says otherwise). */
        sig_send(s, json_pack("{s:s, s:b, s:b, s:b}", "type", "media-state", "audio", p->publishes, "video",
                              p->publishes && !g_run->cfg.audio_only, "screen", 0));
    } else if (strcmp(type, "offer") == 0) {
        json_decref(s->last_offer);
        s->last_offer = json_incref(msg);
        on_offer(s, msg);
    } else if (strcmp(type, "error") == 0) {
        const char *code = jstr(msg, "code"), *text = jstr(msg, "message");
        if (g_run->cfg.verbose)
            fprintf(stderr, "stoa-load: %s: server error %s: %s\n", p->name, code ? code : "?", text ? text : "");
        if (g_run->hooks && g_run->hooks->on_server_error) {
            g_run->hooks->on_server_error(s, code ? code : "", jstr(msg, "re") ? jstr(msg, "re") : "");
            return;
        }
        if (code && (strcmp(code, "room-full") == 0 || strcmp(code, "bridge-error") == 0 ||
                     strcmp(code, "bad-answer") == 0))
            participant_fail(p, "server error %s: %s", code, text ? text : "");
    } else if (strcmp(type, "bye") == 0) {
        const char *reason = jstr(msg, "reason");
        if (!reason || strcmp(reason, "left") != 0)
            participant_fail(p, "server said bye: %s", reason ? reason : "?");
    }
    /* Everything else (participant-joined/left/updated, pong, chat, ...) is
     * not needed by a load peer. */
}

void sig_stoa_answer_again(sig_conn *s)
{
    if (s->last_offer)
        on_offer(s, s->last_offer);
}

/* With --view-height, tells the bridge how tall every other camera of the
 * latest offer is shown, as a browser's grid does: coalesced to one message
 * per half second, below the server's rate limit while a room fills. */
static void stoa_tick(sig_conn *s, int64_t now)
{
    int height = g_run->cfg.view_height;
    if (height <= 0 || !s->last_offer || !s->p->joined || now - s->heights_sent_ns < 500000000LL)
        return;
    json_int_t version = json_integer_value(json_object_get(s->last_offer, "version"));
    if (version == s->heights_version)
        return;
    json_t *heights = json_object();
    const char *mid;
    json_t *m;
    json_object_foreach(json_object_get(s->last_offer, "mids"), mid, m) {
        const char *who = jstr(m, "participant"), *source = jstr(m, "source");
        if (who && source && strcmp(source, "camera") == 0 && strcmp(who, s->p->id) != 0 &&
            json_object_size(heights) < 64)
            json_object_set_new(heights, who, json_integer(height));
    }
    (void)mid;
    s->heights_version = version;
    s->heights_sent_ns = now;
    sig_send(s, json_pack("{s:s, s:o}", "type", "receiver-constraints", "heights", heights));
}

static void stoa_close(sig_conn *s)
{
    if (!s->closing)
        participant_fail(s->p, "the server closed the signalling connection");
}

static void stoa_leave(sig_conn *s)
{
    sig_send(s, json_pack("{s:s}", "type", "leave"));
    sig_close(s);
}

const sig_proto sig_stoa = {
    .name = "stoa",
    .on_open = stoa_open,
    .on_message = stoa_message,
    .on_close = stoa_close,
    .on_tick = stoa_tick,
    .leave = stoa_leave,
};
