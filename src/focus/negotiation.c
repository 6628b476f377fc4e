/* Offer/answer with each participant (the focus always offers, one offer at
 * a time), and the sources the bridge forwards as a result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/random.h"
#include "focus/allocation.h"
#include "focus/focus_internal.h"

void negotiation_offer_if_due(focus *f, participant *p)
{
    if (!p->allocated || p->awaiting_answer || !p->dirty)
        return;
    sdp_offer *offer = malloc(sizeof *offer);
    /* Room for the largest offer: every section with every candidate. */
    size_t cap = 4096 + SDP_MAX_MEDIA * (2048 + 160 * SDP_MAX_CANDIDATES);
    char *sdp = malloc(cap);
    if (!offer || !sdp) {
        free(offer);
        free(sdp);
        return;
    }
    slots_build_offer(&p->slots, &p->transport, p->sdp_session_id, p->version + 1, offer);
    int len = sdp_write_offer(offer, sdp, cap);
    if (len < 0) {
        log_error("focus", "cannot write the offer for %s/%s", p->room->name, p->id);
    } else {
        p->version++;
        p->n_offered = p->slots.n;
        for (size_t i = 0; i < p->slots.n; i++) {
            const media_slot *slot = &p->slots.slots[i];
            memcpy(p->offered_mids[i], slot->mid, SDP_MID_MAX);
            bool sends = !slot->own && !slot->disabled;
            p->offered_ssrcs[i][0] = sends ? slot->ssrc : 0;
            p->offered_ssrcs[i][1] = sends ? slot->rtx_ssrc : 0;
        }
        p->awaiting_answer = true;
        p->bad_answers = 0;
        p->dirty = false;
        focus_send(f, p->session, json_pack("{s:s, s:s%, s:I, s:o}", "type", "offer", "sdp", sdp,
                                            (size_t)len, "version", (json_int_t)p->version, "mids",
                                            slots_mids_json(&p->slots)));
    }
    free(offer);
    free(sdp);
}

void negotiation_publish(focus *f, participant *p)
{
    for (participant *o = p->room->participants; o; o = o->next) {
        if (o == p || !o->allocated)
            continue;
        bool changed = false;
        for (int k = 0; k < SOURCE_COUNT; k++) {
            int rc = p->own_ssrc[k] ? slots_set_source(&o->slots, p->id, (media_source)k, p->own_ssrc[k])
                                    : slots_remove_source(&o->slots, p->id, (media_source)k);
            if (rc < 0)
                log_warn("focus", "%s/%s has no free m= section for %s", o->room->name, o->id, p->id);
            changed |= rc > 0;
            if (p->own_ssrc[k])
                changed |= slots_set_rtx(&o->slots, p->id, (media_source)k, p->own_rtx[k]) > 0;
        }
        if (changed) {
            o->dirty = true;
            negotiation_offer_if_due(f, o);
        }
    }
}

void negotiation_withdraw(focus *f, participant *p)
{
    for (participant *o = p->room->participants; o; o = o->next) {
        if (o != p && slots_remove_participant(&o->slots, p->id) > 0) {
            o->dirty = true;
            negotiation_offer_if_due(f, o);
        }
    }
}

void negotiation_update_pause(focus *f, participant *p, media_source source)
{
    if (!p->allocated || !p->own_ssrc[source])
        return;
    json_t *req = json_pack("{s:[I], s:b}", "ssrcs", (json_int_t)p->own_ssrc[source], "paused", !p->on[source]);
    focus_bridge_request(f, p->bridge, "pause", p->room->name, p->id, req);
}

void negotiation_send_constraints(focus *f, participant *p)
{
    if (!p->allocated)
        return;   /* sent once the bridge has the endpoint */
    json_t *selected = json_array();
    for (int i = 0; i < p->n_selected; i++)
        json_array_append_new(selected, json_string(p->selected[i]));
    json_t *req = json_pack("{s:i, s:o}", "last_n", p->last_n, "selected", selected);
    if (p->heights)
        json_object_set(req, "heights", p->heights);
    focus_bridge_request(f, p->bridge, "constraints", p->room->name, p->id, req);
}

void negotiation_on_allocated(focus *f, participant *p, json_t *msg)
{
    char err[128];
    p->allocated = true;   /* the bridge holds an endpoint from here on */
    if (allocation_parse(msg, &p->transport, err, sizeof err) < 0) {
        log_error("focus", "%s/%s: the bridge's allocate-ok is unusable: %s", p->room->name, p->id, err);
        focus_send_error(f, p->session, "bridge-error", "no media bridge could serve this participant", "join");
        focus_session *s = p->session;
        focus_remove_participant(f, p, "disconnected");
        focus_close(f, s, NULL);
        return;
    }
    relays_sync(f, p->room);
    slots_init(&p->slots, p->id);
    p->slots.simulcast = f->simulcast;
    for (participant *o = p->room->participants; o; o = o->next)
        for (int k = 0; o != p && k < SOURCE_COUNT; k++)
            if (o->own_ssrc[k]) {
                slots_set_source(&p->slots, o->id, (media_source)k, o->own_ssrc[k]);
                slots_set_rtx(&p->slots, o->id, (media_source)k, o->own_rtx[k]);
            }
    p->dirty = true;
    negotiation_offer_if_due(f, p);
    if (p->last_n >= 0 || p->heights)
        negotiation_send_constraints(f, p);
}

/* Whether a participant of r other than self sends under ssrc (media or
 * RTX, declared or made up for a simulcast camera). */
static bool ssrc_owned_by_other(const room *r, const participant *self, uint32_t ssrc)
{
    for (const participant *o = r->participants; o; o = o->next) {
        if (o == self)
            continue;
        for (int k = 0; k < SOURCE_COUNT; k++)
            if (o->own_ssrc[k] == ssrc || o->own_rtx[k] == ssrc)
                return true;
        for (size_t i = 0; i < o->n_camera_layer_ssrcs; i++)
            if (o->camera_layer_ssrcs[i] == ssrc)
                return true;
    }
    return false;
}

static bool is_own_mid(const char *mid)
{
    for (int k = 0; k < SOURCE_COUNT; k++)
        if (strcmp(mid, media_source_own_mid((media_source)k)) == 0)
            return true;
    return false;
}

/* Whether the answer's own sections declare ssrc (skipping section `skip`). */
static bool answer_declares(const sdp_answer *a, uint32_t ssrc, size_t skip)
{
    for (size_t i = 0; i < a->n_media; i++) {
        const sdp_answer_media *m = &a->media[i];
        if (i == skip || !is_own_mid(m->mid))
            continue;
        if (m->rtx_ssrc == ssrc)
            return true;
        for (size_t j = 0; j < m->n_ssrcs; j++)
            if (m->ssrcs[j] == ssrc)
                return true;
        for (size_t j = 0; j < m->n_fids; j++)
            if (m->fids[j].primary == ssrc || m->fids[j].repair == ssrc)
                return true;
    }
    return false;
}

/* An SSRC the answer's own sections declare that is not p's to use: one
 * another participant of the room sends under, or one two of its sections
 * both declare. 0 when there is none. A newcomer reads the others' SSRCs in
 * its offer; declaring one would let it take over that stream's feedback
 * and inject media into it. */
static uint32_t ssrc_conflict(const participant *p, const sdp_answer *a)
{
    for (size_t i = 0; i < a->n_media; i++) {
        const sdp_answer_media *m = &a->media[i];
        if (!is_own_mid(m->mid))
            continue;
        uint32_t declared[SDP_MAX_SSRCS + 2 * SDP_MAX_FIDS];
        size_t n = 0;
        for (size_t j = 0; j < m->n_ssrcs; j++)
            declared[n++] = m->ssrcs[j];
        for (size_t j = 0; j < m->n_fids; j++) {
            declared[n++] = m->fids[j].primary;
            declared[n++] = m->fids[j].repair;
        }
        for (size_t j = 0; j < n; j++)
            if (ssrc_owned_by_other(p->room, p, declared[j]) || answer_declares(a, declared[j], i))
                return declared[j];
    }
    return 0;
}

/* A made-up SSRC for the stream receivers get from a simulcast camera:
 * nonzero, used by nobody else in the room, declared nowhere in the answer
 * and not `also_not` (the other one made up with it). */
static uint32_t made_up_ssrc(const participant *p, const sdp_answer *a, uint32_t also_not)
{
    uint32_t v;
    do
        v = random_u32();
    while (v == 0 || v == also_not || ssrc_owned_by_other(p->room, p, v) || answer_declares(a, v, SIZE_MAX));
    return v;
}

/* The SSRC the browser sends on its own section for source, or 0; its RTX
 * SSRC into *rtx (0 when none). A camera sent as simulcast layers keeps
 * (or gets) made-up SSRCs, its rids going into p. */
static uint32_t own_ssrc(participant *p, const sdp_answer *a, media_source source, uint32_t *rtx)
{
    *rtx = 0;
    const char *mid = media_source_own_mid(source);
    for (size_t i = 0; i < a->n_media; i++) {
        const sdp_answer_media *m = &a->media[i];
        if (strcmp(m->mid, mid) != 0)
            continue;
        bool sending = m->dir == SDP_SENDONLY || m->dir == SDP_SENDRECV;
        bool right_kind = m->kind == media_source_kind(source);
        if (source == SOURCE_CAMERA)
            p->n_camera_rids = p->n_camera_layer_ssrcs = p->n_camera_layer_fids = 0;
        if (m->rejected || !sending || !right_kind)
            return 0;
        if (source == SOURCE_CAMERA && m->n_rids > 0 && p->slots.simulcast) {
            memcpy(p->camera_rids, m->rids, sizeof m->rids);
            p->n_camera_rids = m->n_rids;
            memcpy(p->camera_layer_ssrcs, m->ssrcs, sizeof m->ssrcs);
            p->n_camera_layer_ssrcs = m->n_ssrcs;
            _Static_assert(sizeof p->camera_layer_fids == sizeof m->fids, "one FID pair each");
            memcpy(p->camera_layer_fids, m->fids, sizeof m->fids);
            p->n_camera_layer_fids = m->n_fids;
            bool had = p->own_ssrc[source] && p->own_rtx[source];
            if (had) {
                *rtx = p->own_rtx[source];
                return p->own_ssrc[source];
            }
            uint32_t ssrc = made_up_ssrc(p, a, 0);
            *rtx = made_up_ssrc(p, a, ssrc);
            return ssrc;
        }
        if (m->n_ssrcs == 0)
            return 0;
        *rtx = m->rtx_ssrc;
        return m->ssrcs[0];
    }
    return 0;
}

/* JSEP: an answer has the offer's m= sections, in the same order. */
static bool answer_matches_offer(const participant *p, const sdp_answer *a)
{
    if (a->n_media != p->n_offered)
        return false;
    for (size_t i = 0; i < a->n_media; i++)
        if (strcmp(a->media[i].mid, p->offered_mids[i]) != 0)
            return false;
    return true;
}

json_t *negotiation_sources_json(const participant *p)
{
    json_t *sources = json_array();
    for (int k = 0; k < SOURCE_COUNT; k++) {
        if (!p->own_ssrc[k])
            continue;
        json_t *src = json_pack("{s:I, s:s, s:b, s:b, s:I}", "ssrc", (json_int_t)p->own_ssrc[k],
                                "kind", k == SOURCE_MIC ? "audio" : "video", "paused", !p->on[k],
                                "screen", k == SOURCE_SCREEN, "rtx", (json_int_t)p->own_rtx[k]);
        if (k == SOURCE_CAMERA && p->n_camera_rids > 0) {
            json_t *rids = json_array();
            for (size_t i = 0; i < p->n_camera_rids; i++)
                json_array_append_new(rids, json_string(p->camera_rids[i]));
            json_object_set_new(src, "rids", rids);
            if (p->n_camera_layer_fids > 0) {
                json_t *fids = json_array();
                for (size_t i = 0; i < p->n_camera_layer_fids; i++)
                    json_array_append_new(fids, json_pack("{s:I, s:I}", "ssrc",
                                                          (json_int_t)p->camera_layer_fids[i].primary, "rtx",
                                                          (json_int_t)p->camera_layer_fids[i].repair));
                json_object_set_new(src, "layer_rtx", fids);
            }
        }
        json_array_append_new(sources, src);
    }
    return sources;
}

/* The SSRCs the answered offer told the participant it receives: a section
 * the answer rejected or will not receive on does not count. The bridge
 * sends it nothing else, because a browser may hand a stream it was not
 * told about to the wrong track (Firefox gives it to a section whose
 * payload type is unique, and that section keeps it). */
static json_t *receives_json(const participant *p, const sdp_answer *a)
{
    json_t *ssrcs = json_array();
    for (size_t i = 0; i < p->n_offered; i++) {
        const sdp_answer_media *m = &a->media[i];
        if (m->rejected || (m->dir != SDP_RECVONLY && m->dir != SDP_SENDRECV))
            continue;
        for (int k = 0; k < 2; k++)
            if (p->offered_ssrcs[i][k])
                json_array_append_new(ssrcs, json_integer(p->offered_ssrcs[i][k]));
    }
    return ssrcs;
}

/* Ends the session with bye negotiation-failed rather than leaving a
 * participant in the room that can neither send nor receive. */
static void end_negotiation(focus *f, participant *p)
{
    log_warn("focus", "%s/%s: negotiation failed (%d offers not applied, %d unusable answers), ending the session",
             p->room->name, p->id, p->negotiation_failures, p->bad_answers);
    focus_session *s = p->session;
    focus_remove_participant(f, p, "negotiation-failed");
    focus_close(f, s, "negotiation-failed");
}

void negotiation_on_offer_failed(focus *f, focus_session *s, const signal_msg *msg)
{
    participant *p = s->p;
    if (!p->awaiting_answer || msg->version != p->version) {
        focus_send_error(f, s, "stale-answer", "no open offer has this version", "offer-failed");
        return;
    }
    log_warn("focus", "%s/%s could not apply offer %u: %s", p->room->name, p->id, (unsigned)p->version,
             msg->reason[0] ? msg->reason : "(no reason given)");
    if (++p->negotiation_failures >= FOCUS_NEGOTIATION_ATTEMPTS) {
        end_negotiation(f, p);
        return;
    }
    /* Withdrawn: its answer would be stale; the next one starts afresh. */
    p->awaiting_answer = false;
    p->dirty = true;
    negotiation_offer_if_due(f, p);
}

void negotiation_on_answer(focus *f, focus_session *s, const signal_msg *msg)
{
    participant *p = s->p;
    if (!p->awaiting_answer || msg->version != p->version) {
        focus_send_error(f, s, "stale-answer", "this answer does not match the current offer", "answer");
        return;
    }
    sdp_answer *a = malloc(sizeof *a);
    char err[128];
    const char *problem = NULL;
    if (!a)
        problem = "out of memory";
    else if (sdp_parse_answer(msg->sdp, msg->sdp_len, a, err, sizeof err) < 0)
        problem = err;
    else if (strcmp(a->setup, "active") != 0)
        problem = "the answer must say a=setup:active";
    else if (!answer_matches_offer(p, a))
        problem = "the answer's m= sections do not match the offer's";
    uint32_t taken = problem ? 0 : ssrc_conflict(p, a);
    if (taken) {
        snprintf(err, sizeof err, "SSRC %u is already in use in this room", (unsigned)taken);
        problem = err;
        refusal_note(f->refused, REFUSED_SSRC_IN_USE, "focus", "%s/%s answered with SSRC %u, already in use in the room",
                     p->room->name, p->id, (unsigned)taken);
    }
    if (problem) {
        /* Bounded by the offers the focus makes: one answer each. */
        log_warn("focus", "%s/%s: answer to offer %u refused: %s", p->room->name, p->id, (unsigned)p->version,
                 problem);
        focus_send_error(f, s, "bad-answer", problem, "answer");
        free(a);
        if (++p->bad_answers >= FOCUS_BAD_ANSWERS)
            end_negotiation(f, p);
        return;
    }
    p->awaiting_answer = false;
    p->negotiation_failures = 0;
    bool changed = false;
    for (int k = 0; k < SOURCE_COUNT; k++) {
        uint32_t rtx, ssrc = own_ssrc(p, a, (media_source)k, &rtx);
        changed |= ssrc != p->own_ssrc[k] || rtx != p->own_rtx[k];
        p->own_ssrc[k] = ssrc;
        p->own_rtx[k] = rtx;
    }
    focus_bridge_request(f, p->bridge, "configure", p->room->name, p->id,
                         json_pack("{s:{s:s, s:s}, s:{s:s}, s:o, s:o}", "ice", "ufrag", a->ice_ufrag, "pwd",
                                   a->ice_pwd, "dtls", "fingerprint", a->fingerprint, "sources",
                                   negotiation_sources_json(p), "receives", receives_json(p, a)));
    free(a);
    relays_publish(f, p);
    if (changed)
        negotiation_publish(f, p);
    negotiation_offer_if_due(f, p);
}
