/* Fuzzes what a bridge (or something posing as one) sends the focus over the
 * control link: hello, heartbeats and allocate-ok, as JSON from arbitrary
 * bytes, and checks that whatever is accepted is within the documented
 * bounds (docs/protocol.md, "The link"). */
#include "focus/allocation.h"
#include "link/heartbeat.h"
#include "link/link_auth.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static const char FOCUS_NONCE[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static int no_line_breaks(const char *s)
{
    return strchr(s, '\r') == NULL && strchr(s, '\n') == NULL;
}

static void check_hello(const link_secret *secret, const json_t *msg)
{
    link_hello h;
    char message[LINK_MESSAGE_MAX];
    enum link_refusal r = link_hello_check(secret, FOCUS_NONCE, msg, &h, message, sizeof message);
    REQUIRE(memchr(message, '\0', sizeof message) != NULL);
    if (r != LINK_ACCEPTED)
        return;
    size_t n = strlen(h.bridge);
    REQUIRE(n >= 1 && n <= LINK_BRIDGE_ID_MAX && no_line_breaks(h.bridge));
    REQUIRE(strlen(h.region) <= LINK_REGION_MAX && no_line_breaks(h.region));
    REQUIRE(h.capacity >= 1 && h.capacity <= LINK_CAPACITY_MAX);
    REQUIRE(h.n_addresses >= 1 && h.n_addresses <= LINK_MAX_ADDRESSES);
    REQUIRE(h.n_media_ports >= 1 && h.n_media_ports <= LINK_MAX_MEDIA_PORTS);
    for (int i = 0; i < h.n_media_ports; i++)
        REQUIRE(h.media_ports[i] != 0);
    REQUIRE(strcmp(h.nonce, FOCUS_NONCE) != 0);
    /* The welcome for it is one the bridge accepts. */
    json_t *welcome = link_welcome_new(secret, FOCUS_NONCE, &h, 1000);
    int heartbeat_ms = 0;
    REQUIRE(welcome && link_welcome_check(secret, FOCUS_NONCE, &h, welcome, &heartbeat_ms, message, sizeof message) == 0);
    REQUIRE(heartbeat_ms == 1000);
    json_decref(welcome);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static link_secret secret;
    if (secret.len == 0)
        link_secret_set(&secret, "fuzzing-secret-0123456789", 25);
    json_error_t jerr;
    json_t *msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(msg)) {
        json_decref(msg);
        return 0;
    }
    check_hello(&secret, msg);

    heartbeat hb;
    char err[160];
    if (heartbeat_parse(msg, &hb, err, sizeof err) == 0) {
        REQUIRE(hb.seq >= 1 && hb.cpu >= 0 && hb.cpu <= 1);
        json_t *again = heartbeat_to_json(&hb);
        heartbeat hb2;
        REQUIRE(again && heartbeat_parse(again, &hb2, err, sizeof err) == 0 && hb2.seq == hb.seq &&
                hb2.endpoints == hb.endpoints && hb2.bits_out == hb.bits_out);
        json_decref(again);
    }

    char nonce[LINK_NONCE_HEX + 1];
    if (link_challenge_parse(msg, nonce) == 0)
        REQUIRE(strlen(nonce) == LINK_NONCE_HEX);

    offer_transport t;
    if (allocation_parse(msg, &t, err, sizeof err) == 0) {
        REQUIRE(t.n_candidates >= 1 && t.n_candidates <= SDP_MAX_CANDIDATES);
        REQUIRE(no_line_breaks(t.ice_ufrag) && no_line_breaks(t.ice_pwd) && no_line_breaks(t.fingerprint));
        for (size_t i = 0; i < t.n_candidates; i++)
            REQUIRE(t.candidates[i].port != 0 && no_line_breaks(t.candidates[i].ip) &&
                    no_line_breaks(t.candidates[i].foundation));
    }
    json_decref(msg);
    return 0;
}
