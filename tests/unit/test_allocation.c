/* Tests for reading a bridge's allocate-ok: a good one is taken whole, and
 * each field a hostile or broken bridge could get wrong is refused. */
#include "check.h"
#include "focus/allocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FP "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static json_t *good(void)
{
    return json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:b}, s:{s:s, s:s}, s:[{s:s, s:s, s:i, s:s, s:I},"
                     " {s:s, s:s, s:i, s:s, s:s, s:I}]}",
                     "type", "allocate-ok", "id", (json_int_t)1, "endpoint", "6f1c09ab", "ice", "ufrag", "Xy3k",
                     "pwd", "abcdefghijklmnopqrstuvwx", "lite", 1, "dtls", "fingerprint", FP, "setup", "passive",
                     "candidates", "foundation", "1", "ip", "192.0.2.7", "port", 10000, "protocol", "udp",
                     "priority", (json_int_t)2130706431, "foundation", "101", "ip", "2001:db8::7", "port", 10000,
                     "protocol", "tcp", "tcptype", "passive", "priority", (json_int_t)1526726655);
}

/* Sets path ("ice.ufrag", "candidates.0.port", ...) of a good message to v
 * (NULL: removes it) and returns whether allocation_parse refuses it. */
static int refused(const char *path, json_t *v)
{
    json_t *msg = good(), *o = msg;
    char copy[64];
    snprintf(copy, sizeof copy, "%s", path);
    char *save = NULL, *key = strtok_r(copy, ".", &save), *next;
    while ((next = strtok_r(NULL, ".", &save)) != NULL) {
        o = json_is_array(o) ? json_array_get(o, (size_t)atoi(key)) : json_object_get(o, key);
        key = next;
    }
    if (json_is_array(o))
        json_array_set_new(o, (size_t)atoi(key), v);
    else if (v)
        json_object_set_new(o, key, v);
    else
        json_object_del(o, key);
    offer_transport t;
    char err[128] = "";
    int rc = allocation_parse(msg, &t, err, sizeof err);
    json_decref(msg);
    if (rc == 0)
        fprintf(stderr, "accepted with %s changed\n", path);
    return rc < 0 && err[0] != '\0';
}

int main(void)
{
    offer_transport t;
    char err[128];
    json_t *msg = good();
    CHECK_EQ_INT(allocation_parse(msg, &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.ice_ufrag, "Xy3k");
    CHECK_EQ_STR(t.ice_pwd, "abcdefghijklmnopqrstuvwx");
    CHECK_EQ_STR(t.fingerprint, FP);
    CHECK_EQ_INT((int)t.n_candidates, 2);
    CHECK_EQ_STR(t.candidates[0].ip, "192.0.2.7");
    CHECK_EQ_INT(t.candidates[0].port, 10000);
    CHECK(!t.candidates[0].tcp);
    CHECK_EQ_STR(t.candidates[1].ip, "2001:db8::7");
    CHECK(t.candidates[1].tcp);
    CHECK(t.candidates[1].priority == 1526726655u);
    json_decref(msg);

    /* SDP injection through any string that ends up in the offer. */
    CHECK(refused("ice.ufrag", json_string("Xy3k\r\na=evil")));
    CHECK(refused("ice.pwd", json_string("abcdefghijklmnopqrstuvw x")));
    CHECK(refused("candidates.0.foundation", json_string("1\r\n")));
    CHECK(refused("candidates.0.ip", json_string("192.0.2.7\r\na=x")));
    CHECK(refused("dtls.fingerprint", json_string(FP "\r\n")));
    /* Bounds and types. */
    CHECK(refused("ice.ufrag", json_string("abc")));
    CHECK(refused("ice.pwd", json_string("short")));
    CHECK(refused("ice.ufrag", json_integer(5)));
    CHECK(refused("ice", NULL));
    CHECK(refused("dtls.fingerprint", json_string("sha-1 AB:CD")));
    CHECK(refused("dtls.fingerprint", json_string("sha-256 AB:CD:EF")));
    CHECK(refused("dtls.fingerprint", json_string("sha-256 ZZ:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
                                                  "01:23:45:67:89:AB:CD:EF:01:23:45:67:89")));
    CHECK(refused("candidates.0.ip", json_string("bridge.example")));
    CHECK(refused("candidates.0.ip", json_string("")));
    CHECK(refused("candidates.0.port", json_integer(0)));
    CHECK(refused("candidates.0.port", json_integer(65536)));
    CHECK(refused("candidates.0.port", json_string("10000")));
    CHECK(refused("candidates.0.priority", json_integer(0)));
    CHECK(refused("candidates.0.priority", json_integer(0x100000000ll)));
    CHECK(refused("candidates.0.protocol", json_string("sctp")));
    CHECK(refused("candidates.1.tcptype", json_string("active")));
    CHECK(refused("candidates.0", json_string("not an object")));
    CHECK(refused("candidates", json_array()));
    CHECK(refused("candidates", json_string("none")));
    /* More candidates than an offer holds. */
    json_t *many = json_array();
    for (int i = 0; i <= SDP_MAX_CANDIDATES; i++)
        json_array_append_new(many, json_pack("{s:s, s:s, s:i, s:s, s:i}", "foundation", "1", "ip", "192.0.2.1",
                                              "port", 1000 + i, "protocol", "udp", "priority", 1));
    CHECK(refused("candidates", many));
    return check_report("allocation");
}
