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
    CHECK_EQ_INT(l->n, 3);
    CHECK_EQ_STR(l->slots[0].mid, media_source_own_mid(SOURCE_MIC));
    CHECK_EQ_STR(l->slots[1].mid, media_source_own_mid(SOURCE_CAMERA));
    CHECK_EQ_STR(l->slots[2].mid, media_source_own_mid(SOURCE_SCREEN));
    CHECK_EQ_STR(l->slots[2].mid, "2");
    CHECK(l->slots[0].own && l->slots[1].own && l->slots[2].own);

    CHECK_EQ_INT(slots_set_source(l, "alice", SOURCE_MIC, 111), 1);
    CHECK_EQ_INT(slots_set_source(l, "alice", SOURCE_CAMERA, 222), 1);
    CHECK_EQ_INT(slots_set_source(l, "alice", SOURCE_CAMERA, 222), 0);   /* unchanged */
    CHECK_EQ_INT(slots_set_source(l, "bob", SOURCE_MIC, 333), 1);
    CHECK_EQ_INT(l->n, 6);
    CHECK_EQ_STR(l->slots[4].mid, "4");
    CHECK_EQ_STR(l->slots[4].participant, "alice");

    /* A new SSRC for the same source: old section disabled, a new one added. */
    CHECK_EQ_INT(slots_set_source(l, "alice", SOURCE_CAMERA, 999), 1);
    CHECK(l->slots[4].disabled);
    CHECK_EQ_INT(l->slots[6].ssrc, 999);
    CHECK_EQ_STR(l->slots[6].mid, "6");
    /* A screen share is a source of its own beside the camera. */
    CHECK_EQ_INT(slots_set_source(l, "alice", SOURCE_SCREEN, 444), 1);
    CHECK(!l->slots[6].disabled);
    CHECK_EQ_INT(l->slots[7].source, SOURCE_SCREEN);

    /* One source, then everything of a participant. */
    CHECK_EQ_INT(slots_remove_source(l, "alice", SOURCE_MIC), 1);
    CHECK(l->slots[3].disabled);
    CHECK(!l->slots[6].disabled);
    CHECK_EQ_INT(slots_remove_participant(l, "alice"), 2);
    CHECK(l->slots[6].disabled && l->slots[7].disabled);
    CHECK_EQ_INT(slots_remove_participant(l, "alice"), 0);
    CHECK(!l->slots[0].disabled && !l->slots[5].disabled);

    json_t *mids = slots_mids_json(l);
    CHECK_EQ_INT(json_object_size(mids), 4);   /* own three and bob's mic */
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "5"), "participant")), "bob");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "5"), "source")), "mic");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "1"), "kind")), "video");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(mids, "2"), "source")), "screen");
    CHECK(json_object_get(mids, "3") == NULL);
    json_decref(mids);

    /* The offer: every section in order, disabled ones with port 0 and out of BUNDLE. */
    offer_transport t = transport();
    sdp_offer *o = malloc(sizeof *o);
    slots_build_offer(l, &t, 42, 3, o);
    CHECK_EQ_INT(o->n_media, 8);
    CHECK_EQ_INT(o->media[0].dir, SDP_RECVONLY);
    CHECK_EQ_INT(o->media[2].dir, SDP_RECVONLY);
    CHECK_EQ_INT(o->media[2].kind, SDP_VIDEO);
    CHECK_EQ_INT(o->media[5].dir, SDP_SENDONLY);
    CHECK_EQ_INT(o->media[5].ssrc, 333);
    CHECK_EQ_STR(o->media[5].stream_id, "bob");
    CHECK_EQ_STR(o->media[5].track_id, "bob-mic");
    CHECK(o->media[3].disabled && o->media[4].disabled && o->media[6].disabled && o->media[7].disabled);
    char *sdp = malloc(65536);
    int len = sdp_write_offer(o, sdp, 65536);
    CHECK(len > 0);
    if (len > 0) {
        CHECK(strstr(sdp, "a=group:BUNDLE 0 1 2 5\r\n") != NULL);
        CHECK_EQ_INT(count(sdp, "m=audio 0 "), 1);
        CHECK_EQ_INT(count(sdp, "m=video 0 "), 3);
        CHECK(strstr(sdp, "a=ssrc:333 cname:bob\r\n") != NULL);
        CHECK(strstr(sdp, "a=msid:bob bob-mic\r\n") != NULL);
        CHECK(strstr(sdp, "o=- 42 3 IN IP4") != NULL);
        CHECK(strstr(sdp, "a=candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host") != NULL);
    }

    /* Fill every section, then recycling reuses disabled ones under new mids. */
    char who[16];
    int added = 0;
    for (int i = 0; i < SDP_MAX_MEDIA * 2 && l->n < SDP_MAX_MEDIA; i++) {
        snprintf(who, sizeof who, "p%d", i);
        added += slots_set_source(l, who, SOURCE_MIC, (uint32_t)(1000 + i)) == 1;
    }
    CHECK_EQ_INT(l->n, SDP_MAX_MEDIA);
    CHECK_EQ_INT(added, SDP_MAX_MEDIA - 8);
    char expect_mid[16];
    snprintf(expect_mid, sizeof expect_mid, "%d", SDP_MAX_MEDIA);
    CHECK_EQ_INT(slots_set_source(l, "late", SOURCE_CAMERA, 5555), 1);
    CHECK_EQ_STR(l->slots[3].participant, "late");
    CHECK_EQ_STR(l->slots[3].mid, expect_mid);
    CHECK(!l->slots[3].disabled);
    for (int i = 0; i < 3; i++) {   /* slots 4, 6, 7 */
        snprintf(who, sizeof who, "later%d", i);
        CHECK_EQ_INT(slots_set_source(l, who, SOURCE_CAMERA, (uint32_t)(6666 + i)), 1);
    }
    CHECK_EQ_INT(slots_set_source(l, "none-left", SOURCE_CAMERA, 8888), -1);

    free(sdp);
    free(o);
    free(l);
    return check_report("offer");
}
