/* Tests for heartbeats: the message's round trip and bounds, the focus's
 * watch, and the CPU share against synthetic samples and a real burn. */
#include "check.h"
#include "link/heartbeat.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static heartbeat sample(void)
{
    heartbeat h = {
        .seq = 7,
        .endpoints = 12,
        .conferences = 3,
        .packets_in = 5200,
        .packets_out = 21000,
        .bits_in = 4100000,
        .bits_out = 16800000,
        .cpu = 0.21,
        .relays = 2,
        .relay_bits_in = 900000,
        .relay_bits_out = 1200000,
        .relay_rtt_ms = 38,
        .draining = true,
    };
    return h;
}

static void test_round_trip(void)
{
    heartbeat h = sample(), got;
    memset(&got, 0, sizeof got);
    char err[128] = "unset";
    json_t *msg = heartbeat_to_json(&h);
    CHECK(msg != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(msg, "type")), "heartbeat");
    CHECK_EQ_INT(json_object_size(msg), 14);
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK_EQ_INT(got.seq, 7);
    CHECK_EQ_INT(got.endpoints, 12);
    CHECK_EQ_INT(got.conferences, 3);
    CHECK_EQ_INT(got.packets_in, 5200);
    CHECK_EQ_INT(got.packets_out, 21000);
    CHECK_EQ_INT(got.bits_in, 4100000);
    CHECK_EQ_INT(got.bits_out, 16800000);
    CHECK(fabs(got.cpu - 0.21) < 1e-12);
    CHECK_EQ_INT(got.relays, 2);
    CHECK_EQ_INT(got.relay_bits_in, 900000);
    CHECK_EQ_INT(got.relay_bits_out, 1200000);
    CHECK_EQ_INT(got.relay_rtt_ms, 38);
    CHECK(got.draining);
    /* The relay figures came later: a heartbeat without them has none;
     * one with a round trip past a minute is refused. */
    json_object_del(msg, "relay_bits_in");
    json_object_del(msg, "relay_bits_out");
    json_object_del(msg, "relay_rtt_ms");
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK_EQ_INT(got.relay_bits_in, 0);
    CHECK_EQ_INT(got.relay_rtt_ms, 0);
    json_object_set_new(msg, "relay_rtt_ms", json_integer(60001));
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), -1);
    json_object_set_new(msg, "relay_rtt_ms", json_string("fast"));
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), -1);
    json_decref(msg);

    /* The largest values in bounds survive. */
    h.endpoints = h.conferences = h.relays = UINT32_MAX;
    h.packets_in = h.packets_out = h.bits_in = h.bits_out = (UINT64_C(1) << 53) - 1;
    h.cpu = 1.0;
    h.draining = false;
    msg = heartbeat_to_json(&h);
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK_EQ_INT(got.endpoints, UINT32_MAX);
    CHECK_EQ_INT(got.bits_out, (UINT64_C(1) << 53) - 1);
    CHECK(got.cpu == 1.0);
    CHECK(!got.draining);
    json_decref(msg);

    /* A share out of range is clamped rather than sent and refused. */
    h.cpu = NAN;
    msg = heartbeat_to_json(&h);
    CHECK(msg != NULL);
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK(got.cpu == 0.0);
    json_decref(msg);
    h.cpu = 1.5;
    msg = heartbeat_to_json(&h);
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK(got.cpu == 1.0);
    json_decref(msg);

    /* cpu may be written as an integer. */
    msg = heartbeat_to_json(&h);
    json_object_set_new(msg, "cpu", json_integer(0));
    CHECK_EQ_INT(heartbeat_parse(msg, &got, err, sizeof err), 0);
    CHECK(got.cpu == 0.0);
    json_decref(msg);
}

typedef struct mutation {
    const char *key;
    const char *value;             /* JSON text, or NULL: the field is removed */
    int want;
} mutation;

static void apply_mutation(const mutation *m)
{
    heartbeat h = sample(), got = sample();
    got.seq = 99;
    json_t *msg = heartbeat_to_json(&h);
    if (m->value)
        json_object_set_new(msg, m->key, json_loads(m->value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(msg, m->key);
    char err[128] = "";
    int rc = heartbeat_parse(msg, &got, err, sizeof err);
    if (rc != m->want)
        fprintf(stderr, "mutation %s = %s: got %d (%s)\n", m->key, m->value ? m->value : "(removed)", rc, err);
    CHECK_EQ_INT(rc, m->want);
    if (m->want < 0) {
        CHECK(strstr(err, m->key) != NULL);
        CHECK_EQ_INT(got.seq, 99);    /* nothing written on failure */
    }
    json_decref(msg);
}

static void test_bounds(void)
{
    const mutation table[] = {
        {"type", "\"heartbeats\"", -1},
        {"type", NULL, -1},
        {"seq", "0", -1},
        {"seq", "-1", -1},
        {"seq", "1.0", -1},
        {"seq", "\"1\"", -1},
        {"seq", NULL, -1},
        {"seq", "1", 0},
        {"seq", "9223372036854775807", 0},
        {"endpoints", "-1", -1},
        {"endpoints", "4294967296", -1},
        {"endpoints", "4294967295", 0},
        {"endpoints", "0", 0},
        {"endpoints", "true", -1},
        {"endpoints", NULL, -1},
        {"conferences", "4294967296", -1},
        {"conferences", "-5", -1},
        {"conferences", "null", -1},
        {"conferences", NULL, -1},
        {"relays", "4294967296", -1},
        {"relays", "0.0", -1},
        {"relays", NULL, -1},
        {"packets_in", "9007199254740992", -1},
        {"packets_in", "9007199254740991", 0},
        {"packets_in", "-1", -1},
        {"packets_in", NULL, -1},
        {"packets_out", "9007199254740992", -1},
        {"packets_out", "1e3", -1},
        {"packets_out", NULL, -1},
        {"bits_in", "9007199254740992", -1},
        {"bits_in", "\"0\"", -1},
        {"bits_in", NULL, -1},
        {"bits_out", "9007199254740992", -1},
        {"bits_out", "[]", -1},
        {"bits_out", NULL, -1},
        {"cpu", "-0.01", -1},
        {"cpu", "1.01", -1},
        {"cpu", "2", -1},
        {"cpu", "\"0.5\"", -1},
        {"cpu", "null", -1},
        {"cpu", NULL, -1},
        {"cpu", "1", 0},
        {"cpu", "0.0", 0},
        {"draining", "0", -1},
        {"draining", "\"false\"", -1},
        {"draining", "null", -1},
        {"draining", NULL, -1},
        {"draining", "false", 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        apply_mutation(&table[i]);

    heartbeat got;
    char err[128];
    json_t *array = json_array();
    CHECK_EQ_INT(heartbeat_parse(array, &got, err, sizeof err), -1);
    CHECK_EQ_INT(heartbeat_parse(NULL, &got, err, sizeof err), -1);
    json_decref(array);
}

static void test_watch(void)
{
    heartbeat_watch w;
    heartbeat_watch_init(&w, 1000, 50000);
    CHECK_EQ_INT(w.last_seq, 0);
    CHECK(!heartbeat_watch_lost(&w, 50000));
    CHECK(!heartbeat_watch_lost(&w, 53000));     /* exactly three intervals */
    CHECK(heartbeat_watch_lost(&w, 53001));
    CHECK_EQ_INT(heartbeat_watch_seen(&w, 0, 50500), -1);
    CHECK_EQ_INT(heartbeat_watch_seen(&w, 1, 51000), 0);
    CHECK_EQ_INT(w.last_seq, 1);
    CHECK_EQ_INT(w.last_ms, 51000);
    CHECK(!heartbeat_watch_lost(&w, 53001));
    CHECK_EQ_INT(heartbeat_watch_seen(&w, 3, 52000), 0);   /* a gap is fine: heartbeats can be lost */
    /* Equal and backwards: refused, and the watch is as it was. */
    CHECK_EQ_INT(heartbeat_watch_seen(&w, 3, 53000), -1);
    CHECK_EQ_INT(heartbeat_watch_seen(&w, 2, 53000), -1);
    CHECK_EQ_INT(w.last_seq, 3);
    CHECK_EQ_INT(w.last_ms, 52000);
    CHECK(!heartbeat_watch_lost(&w, 55000));
    CHECK(heartbeat_watch_lost(&w, 55001));

    heartbeat_watch_init(&w, 100, 0);
    CHECK(!heartbeat_watch_lost(&w, 300));
    CHECK(heartbeat_watch_lost(&w, 301));
}

static void test_cpu_share(void)
{
    cpu_sample a = {.wall_us = 1000000, .cpu_us = 200000};
    cpu_sample b = {.wall_us = 2000000, .cpu_us = 700000};
    CHECK(fabs(cpu_share(&a, &b, 1) - 0.5) < 1e-9);
    CHECK(fabs(cpu_share(&a, &b, 2) - 0.25) < 1e-9);
    b.cpu_us = 3000000;                            /* more CPU than wall: clamped */
    CHECK(cpu_share(&a, &b, 1) == 1.0);
    CHECK(fabs(cpu_share(&a, &b, 4) - 0.7) < 1e-9);
    b.cpu_us = 100000;                             /* backwards: clamped */
    CHECK(cpu_share(&a, &b, 1) == 0.0);
    b.cpu_us = 700000;
    CHECK(cpu_share(&a, &b, 0) == 0.0);
    CHECK(cpu_share(&a, &b, -1) == 0.0);
    CHECK(cpu_share(&a, &a, 1) == 0.0);            /* no time passed */
    CHECK(cpu_share(&b, &a, 1) == 0.0);            /* time went backwards */

    /* A real burn, bounded by CPU time consumed so a busy machine only makes
     * it take longer; on such a machine the share may be low, never zero. */
    cpu_sample start, now;
    CHECK_EQ_INT(cpu_sample_now(&start), 0);
    volatile uint64_t x = 1;
    do {
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005u + 1442695040888963407u;
        if (cpu_sample_now(&now) < 0) {
            CHECK(!"cpu_sample_now failed");
            return;
        }
    } while (now.cpu_us - start.cpu_us < 50000);
    CHECK(now.wall_us > start.wall_us);
    double share = cpu_share(&start, &now, 1);
    CHECK(share > 0.0);
    CHECK(share <= 1.0);
}

int main(void)
{
    test_round_trip();
    test_bounds();
    test_watch();
    test_cpu_share();
    return check_report("heartbeat");
}
