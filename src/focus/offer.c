/* A participant's m= sections: adding sources, disabling them, and turning
 * them into an sdp_offer. */
#include "focus/offer.h"

#include <stdio.h>
#include <string.h>

static media_slot *slot_append(slot_list *l)
{
    if (l->n < SDP_MAX_MEDIA)
        return &l->slots[l->n++];
    /* Full: recycle a disabled section (JSEP 5.2.2 allows it, with a new mid). */
    for (size_t i = 0; i < l->n; i++)
        if (l->slots[i].disabled)
            return &l->slots[i];
    return NULL;
}

static void slot_fill(slot_list *l, media_slot *s, const char *participant, sdp_kind kind,
                      bool own, uint32_t ssrc)
{
    memset(s, 0, sizeof *s);
    snprintf(s->mid, sizeof s->mid, "%u", l->next_mid++);
    snprintf(s->participant, sizeof s->participant, "%s", participant);
    s->kind = kind;
    s->own = own;
    s->ssrc = ssrc;
}

void slots_init(slot_list *l, const char *self)
{
    memset(l, 0, sizeof *l);
    l->n = 2;
    slot_fill(l, &l->slots[0], self, SDP_AUDIO, true, 0);
    slot_fill(l, &l->slots[1], self, SDP_VIDEO, true, 0);
}

int slots_set_source(slot_list *l, const char *participant, sdp_kind kind, uint32_t ssrc)
{
    for (size_t i = 0; i < l->n; i++) {
        media_slot *s = &l->slots[i];
        if (s->own || s->disabled || s->kind != kind || strcmp(s->participant, participant) != 0)
            continue;
        if (s->ssrc == ssrc)
            return 0;
        s->disabled = true;
    }
    media_slot *s = slot_append(l);
    if (!s)
        return -1;
    slot_fill(l, s, participant, kind, false, ssrc);
    return 1;
}

int slots_remove_source(slot_list *l, const char *participant, bool only_kind, sdp_kind kind)
{
    int changed = 0;
    for (size_t i = 0; i < l->n; i++) {
        media_slot *s = &l->slots[i];
        if (s->own || s->disabled || strcmp(s->participant, participant) != 0)
            continue;
        if (only_kind && s->kind != kind)
            continue;
        s->disabled = true;
        changed++;
    }
    return changed;
}

void slots_build_offer(const slot_list *l, const offer_transport *t, uint64_t session_id,
                       uint32_t version, sdp_offer *out)
{
    memset(out, 0, sizeof *out);
    out->session_id = session_id;
    out->session_version = version;
    snprintf(out->ice_ufrag, sizeof out->ice_ufrag, "%s", t->ice_ufrag);
    snprintf(out->ice_pwd, sizeof out->ice_pwd, "%s", t->ice_pwd);
    snprintf(out->fingerprint, sizeof out->fingerprint, "%s", t->fingerprint);
    memcpy(out->candidates, t->candidates, sizeof t->candidates[0] * t->n_candidates);
    out->n_candidates = t->n_candidates;
    for (size_t i = 0; i < l->n; i++) {
        const media_slot *s = &l->slots[i];
        sdp_offer_media *m = &out->media[out->n_media++];
        snprintf(m->mid, sizeof m->mid, "%s", s->mid);
        m->kind = s->kind;
        m->disabled = s->disabled;
        if (s->own) {
            m->dir = SDP_RECVONLY;
            continue;
        }
        m->dir = SDP_SENDONLY;
        m->ssrc = s->ssrc;
        snprintf(m->cname, sizeof m->cname, "%s", s->participant);
        snprintf(m->stream_id, sizeof m->stream_id, "%s", s->participant);
        snprintf(m->track_id, sizeof m->track_id, "%s-%s", s->participant,
                 s->kind == SDP_AUDIO ? "audio" : "video");
    }
}

json_t *slots_mids_json(const slot_list *l)
{
    json_t *mids = json_object();
    for (size_t i = 0; i < l->n; i++) {
        const media_slot *s = &l->slots[i];
        if (s->disabled)
            continue;
        json_object_set_new(mids, s->mid, json_pack("{s:s, s:s}", "participant", s->participant,
                                                     "kind", s->kind == SDP_AUDIO ? "audio" : "video"));
    }
    return mids;
}
