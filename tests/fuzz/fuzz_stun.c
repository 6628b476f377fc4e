/* libFuzzer harness for the STUN module: hostile datagrams through parse and integrity, then build round trips. */
#include "webrtc/stun.h"

#include <stdlib.h>
#include <string.h>

static const char fuzz_key[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* What we build must parse back and authenticate; anything else is a bug worth a crash. */
static void must_round_trip(const uint8_t *out, size_t n, const void *key, size_t key_len)
{
    stun_msg back;
    if (n == 0 || stun_parse(out, n, &back) != 0 || !back.has_fingerprint)
        abort();
    if (key && !stun_check_integrity(out, n, &back, key, key_len))
        abort();
}

/* A parsed username, cut at the first NUL, as the C string the request builder takes. */
static void username_of(const stun_msg *msg, char *user, size_t cap)
{
    size_t n = msg->username_len < cap - 1 ? msg->username_len : cap - 1;
    if (msg->username)
        memcpy(user, msg->username, n);
    else
        n = 0;
    user[n] = '\0';
}

static void build_from(const stun_msg *msg)
{
    uint8_t out[1024];
    char user[509];
    struct sockaddr_in fallback = { .sin_family = AF_INET, .sin_port = htons(3478) };
    const struct sockaddr *mapped = msg->has_mapped ? (const struct sockaddr *)&msg->mapped
                                                    : (const struct sockaddr *)&fallback;
    size_t klen = strlen(fuzz_key);

    must_round_trip(out, stun_build_binding_success(out, sizeof out, msg->txid, mapped, fuzz_key, klen),
                    fuzz_key, klen);
    uint16_t code = (uint16_t)(300 + msg->priority % 400);
    must_round_trip(out, stun_build_binding_error(out, sizeof out, msg->txid, code, "fuzz", NULL, 0),
                    NULL, 0);
    username_of(msg, user, sizeof user);
    size_t n = stun_build_binding_request(out, sizeof out, msg->txid, user, msg->priority,
                                          msg->ice_controlling, msg->tiebreaker, msg->use_candidate,
                                          fuzz_key, klen);
    must_round_trip(out, n, fuzz_key, klen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stun_msg msg;
    (void)stun_is_stun(data, size);
    if (stun_parse(data, size, &msg) != 0)
        return 0;
    if (msg.username && (msg.username < data || msg.username + msg.username_len > data + size))
        abort();
    (void)stun_check_integrity(data, size, &msg, fuzz_key, strlen(fuzz_key));
    build_from(&msg);
    return 0;
}
