/* Tests for a participant's m= sections and the offers made from them:
 * sources added, replaced and removed; recycling when full; the SDP and
 * mids map that result. */
#include "check.h"
#include "focus/offer.h"

#include <stdlib.h>
#include <string.h>

static offer_transport transport(void)
{
    offer_transport t;
    memset(&t, 0, sizeof t);
    strcpy(t.ice_ufrag, "abcd1234");
    strcpy(t.ice_pwd, "abcdefghijklmnopqrstuvwxyz012345");
    strcpy(t.fingerprint, "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
    strcpy(t.candidates[0].ip, "127.0.0.1");
    strcpy(t.candidates[0].foundation, "1");
    t.candidates[0].port = 10000;
    t.candidates[0].priority = 2130706431;
    t.n_candidates = 1;
    return t;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

int main(void)
{
    slot_list *l = malloc(sizeof *l);
    slots_init(l, "self");
    CHECK_EQ_INT(l->n, 2);
    CHECK_EQ_STR(l->slots[0].mid, OFFER_OWN_AUDIO_MID);
    CHECK_EQ_STR(l->slots[1].mid, OFFER_OWN_VIDEO_MID);
    CHECK(l->slots[0].own && l->slots[1].own);

    CHECK_EQ_INT(slots_set_source(l, "alice", SDP_AUDIO, 111), 1);
    CHECK_EQ_INT(slots_set_source(l, "alice", SDP_VIDEO, 222), 1);
    CHECK_EQ_INT(slots_set_source(l, "alice", SDP_VIDEO, 222), 0);   /* unchanged */
    CHECK_EQ_INT(slots_set_source(l, "bob", SDP_AUDIO, 333), 1);
    CHECK_EQ_INT(l->n, 5);
    CHECK_EQ_STR(l->slots[3].mid, "3");
    CHECK_EQ_STR(l->slots[3].participant, "alice");

    /* A new SSRC for the same source: old section disabled, a new one added. */
    CHECK_EQ_INT(slots_set_source(l, "alice", SDP_VIDEO, 999), 1);
    CHECK(l->slots[3].disabled);
    CHECK_EQ_INT(l->slots[5].ssrc, 999);
    CHECK_EQ_STR(l->slots[5].mid, "5");

    /* Only one kind, then everything of a participant. */
    CHECK_EQ_INT(slots_remove_source(l, "alice", true, SDP_AUDIO), 1);
    CHECK(l->slots[2].disabled);
    CHECK(!l->slots[5].disabled);
    CHECK_EQ_INT(slots_remove_source(l, "alice", false, SDP_AUDIO), 1);
    CHECK(l->slots[5].disabled);
    CHECK_EQ_INT(slots_remove_source(l, "alice", false, SDP_AUDIO), 0);
    CHECK(!l->slots[0].disabled && !l->slots[4].disabled);

    json_t *mids = slots_mids_json(l);
    CHECK_EQ_INT(json_object_size(mids), 3);   /* own two and bob's audio */
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "4"), "participant")), "bob");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "1"), "kind")), "video");
    CHECK(json_object_get(mids, "2") == NULL);
    json_decref(mids);

    /* The offer: every section in order, disabled ones with port 0 and out of BUNDLE. */
    offer_transport t = transport();
    sdp_offer *o = malloc(sizeof *o);
    slots_build_offer(l, &t, 42, 3, o);
    CHECK_EQ_INT(o->n_media, 6);
    CHECK_EQ_INT(o->media[0].dir, SDP_RECVONLY);
    CHECK_EQ_INT(o->media[4].dir, SDP_SENDONLY);
    CHECK_EQ_INT(o->media[4].ssrc, 333);
    CHECK_EQ_STR(o->media[4].stream_id, "bob");
    CHECK_EQ_STR(o->media[4].track_id, "bob-audio");
    CHECK(o->media[2].disabled && o->media[3].disabled && o->media[5].disabled);
    char *sdp = malloc(65536);
    int len = sdp_write_offer(o, sdp, 65536);
    CHECK(len > 0);
    if (len > 0) {
        CHECK(strstr(sdp, "a=group:BUNDLE 0 1 4\r\n") != NULL);
        CHECK_EQ_INT(count(sdp, "m=audio 0 "), 1);
        CHECK_EQ_INT(count(sdp, "m=video 0 "), 2);
        CHECK(strstr(sdp, "a=ssrc:333 cname:bob\r\n") != NULL);
        CHECK(strstr(sdp, "a=msid:bob bob-audio\r\n") != NULL);
        CHECK(strstr(sdp, "o=- 42 3 IN IP4") != NULL);
        CHECK(strstr(sdp, "a=candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host") != NULL);
    }

    /* Fill every section, then recycling reuses disabled ones under new mids. */
    char who[16];
    int added = 0;
    for (int i = 0; i < SDP_MAX_MEDIA * 2 && l->n < SDP_MAX_MEDIA; i++) {
        snprintf(who, sizeof who, "p%d", i);
        added += slots_set_source(l, who, SDP_AUDIO, (uint32_t)(1000 + i)) == 1;
    }
    CHECK_EQ_INT(l->n, SDP_MAX_MEDIA);
    CHECK_EQ_INT(added, SDP_MAX_MEDIA - 6);
    CHECK_EQ_INT(slots_set_source(l, "late", SDP_VIDEO, 5555), 1);
    CHECK_EQ_STR(l->slots[2].participant, "late");
    CHECK_EQ_STR(l->slots[2].mid, "64");
    CHECK(!l->slots[2].disabled);
    CHECK_EQ_INT(slots_set_source(l, "later", SDP_VIDEO, 6666), 1);   /* slot 3 */
    CHECK_EQ_INT(slots_set_source(l, "latest", SDP_VIDEO, 7777), 1);  /* slot 5 */
    CHECK_EQ_INT(slots_set_source(l, "none-left", SDP_VIDEO, 8888), -1);

    free(sdp);
    free(o);
    free(l);
    return check_report("offer");
}
