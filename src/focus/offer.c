/* A participant's m= sections: adding sources, disabling them, and turning
 * them into an sdp_offer. */
#include "focus/offer.h"

#include <stdio.h>
#include <string.h>

const char *media_source_name(media_source source)
{
    static const char *const names[SOURCE_COUNT] = { "mic", "camera", "screen" };
    return names[source];
}

sdp_kind media_source_kind(media_source source)
{
    return source == SOURCE_MIC ? SDP_AUDIO : SDP_VIDEO;
}

const char *media_source_own_mid(media_source source)
{
    static const char *const mids[SOURCE_COUNT] = { "0", "1", "2" };
    return mids[source];
}

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

static void slot_fill(slot_list *l, media_slot *s, const char *participant, media_source source,
                      bool own, uint32_t ssrc)
{
    memset(s, 0, sizeof *s);
    snprintf(s->mid, sizeof s->mid, "%u", l->next_mid++);
    snprintf(s->participant, sizeof s->participant, "%s", participant);
    s->source = source;
    s->own = own;
    s->ssrc = ssrc;
}

void slots_init(slot_list *l, const char *self)
{
    memset(l, 0, sizeof *l);
    l->n = SOURCE_COUNT;
    for (int i = 0; i < SOURCE_COUNT; i++)
        slot_fill(l, &l->slots[i], self, (media_source)i, true, 0);
}

int slots_set_source(slot_list *l, const char *participant, media_source source, uint32_t ssrc)
{
    for (size_t i = 0; i < l->n; i++) {
        media_slot *s = &l->slots[i];
        if (s->own || s->disabled || s->source != source || strcmp(s->participant, participant) != 0)
            continue;
        if (s->ssrc == ssrc)
            return 0;
        s->disabled = true;
    }
    media_slot *s = slot_append(l);
    if (!s)
        return -1;
    slot_fill(l, s, participant, source, false, ssrc);
    return 1;
}

int slots_set_rtx(slot_list *l, const char *participant, media_source source, uint32_t rtx_ssrc)
{
    for (size_t i = 0; i < l->n; i++) {
        media_slot *s = &l->slots[i];
        if (s->own || s->disabled || s->source != source || strcmp(s->participant, participant) != 0)
            continue;
        if (s->rtx_ssrc == rtx_ssrc)
            return 0;
        s->rtx_ssrc = rtx_ssrc;
        return 1;
    }
    return 0;
}

/* Disables participant's sections, of one source or (source < 0) all. */
static int disable(slot_list *l, const char *participant, int source)
{
    int changed = 0;
    for (size_t i = 0; i < l->n; i++) {
        media_slot *s = &l->slots[i];
        if (s->own || s->disabled || strcmp(s->participant, participant) != 0)
            continue;
        if (source >= 0 && s->source != (media_source)source)
            continue;
        s->disabled = true;
        changed++;
    }
    return changed;
}

int slots_remove_source(slot_list *l, const char *participant, media_source source)
{
    return disable(l, participant, (int)source);
}

int slots_remove_participant(slot_list *l, const char *participant)
{
    return disable(l, participant, -1);
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
        m->kind = media_source_kind(s->source);
        m->disabled = s->disabled;
        if (s->own) {
            m->dir = SDP_RECVONLY;
            if (s->source == SOURCE_CAMERA && l->simulcast) {
                /* Lowest resolution first: Chromium scales by list order. */
                static const char *const rids[] = { "l", "m", "h" };
                for (size_t k = 0; k < 3; k++)
                    snprintf(m->rids[k], sizeof m->rids[k], "%s", rids[k]);
                m->n_rids = 3;
            }
            continue;
        }
        m->dir = SDP_SENDONLY;
        m->ssrc = s->ssrc;
        m->rtx_ssrc = s->rtx_ssrc;
        snprintf(m->cname, sizeof m->cname, "%s", s->participant);
        snprintf(m->stream_id, sizeof m->stream_id, "%s", s->participant);
        snprintf(m->track_id, sizeof m->track_id, "%s-%s", s->participant, media_source_name(s->source));
    }
}

json_t *slots_mids_json(const slot_list *l)
{
    json_t *mids = json_object();
    for (size_t i = 0; i < l->n; i++) {
        const media_slot *s = &l->slots[i];
        if (s->disabled)
            continue;
        json_object_set_new(mids, s->mid, json_pack("{s:s, s:s, s:s}", "participant", s->participant,
                                                     "kind", s->source == SOURCE_MIC ? "audio" : "video",
                                                     "source", media_source_name(s->source)));
    }
    return mids;
}
