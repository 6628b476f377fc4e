/* Reading a bridge's allocate-ok into the transport of a participant's offers. */
#include "focus/allocation.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/". */
static bool ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= max || !(isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '/'))
            return false;
    return n >= min;
}

static bool sha256_fingerprint(const char *s)
{
    if (strncmp(s, "sha-256 ", 8) != 0)
        return false;
    s += 8;
    for (int i = 0; i < 32; i++, s += 3) {
        if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
            return false;
        if (s[2] != (i == 31 ? '\0' : ':'))
            return false;
    }
    return true;
}

static bool numeric_address(const char *s)
{
    unsigned char buf[16];
    return strlen(s) < INET6_ADDRSTRLEN && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

static const char *string_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int parse_candidate(const json_t *c, sdp_candidate *out, char *err, size_t errlen, size_t index)
{
    const char *foundation = string_field(c, "foundation"), *ip = string_field(c, "ip");
    const char *protocol = string_field(c, "protocol");
    json_t *port = json_object_get(c, "port"), *priority = json_object_get(c, "priority");
    const char *problem = NULL;
    if (!json_is_object(c))
        problem = "is not an object";
    else if (!foundation || !ice_chars(foundation, 1, 32))
        problem = "has no valid foundation";
    else if (!ip || !numeric_address(ip))
        problem = "has no numeric IP address";
    else if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
        problem = "has no port in 1..65535";
    else if (!json_is_integer(priority) || json_integer_value(priority) < 1 ||
             json_integer_value(priority) > 0xFFFFFFFFll)
        problem = "has no priority in 1..2^32-1";
    else if (!protocol || (strcmp(protocol, "udp") != 0 && strcmp(protocol, "tcp") != 0))
        problem = "has a protocol other than udp or tcp";
    else if (strcmp(protocol, "tcp") == 0 && !(string_field(c, "tcptype") && strcmp(string_field(c, "tcptype"), "passive") == 0))
        problem = "is TCP but not passive";
    if (problem) {
        snprintf(err, errlen, "candidate %zu %s", index, problem);
        return -1;
    }
    snprintf(out->foundation, sizeof out->foundation, "%s", foundation);
    snprintf(out->ip, sizeof out->ip, "%s", ip);
    out->port = (uint16_t)json_integer_value(port);
    out->priority = (uint32_t)json_integer_value(priority);
    out->tcp = strcmp(protocol, "tcp") == 0;
    return 0;
}

int allocation_parse(const json_t *msg, offer_transport *t, char *err, size_t errlen)
{
    json_t *ice = json_object_get(msg, "ice"), *dtls = json_object_get(msg, "dtls");
    const char *ufrag = string_field(ice, "ufrag"), *pwd = string_field(ice, "pwd");
    const char *fingerprint = string_field(dtls, "fingerprint");
    json_t *cands = json_object_get(msg, "candidates");
    if (!ufrag || !ice_chars(ufrag, 4, 256) || !pwd || !ice_chars(pwd, 22, 256)) {
        snprintf(err, errlen, "no valid ICE ufrag and pwd");
        return -1;
    }
    if (!fingerprint || !sha256_fingerprint(fingerprint)) {
        snprintf(err, errlen, "no valid sha-256 DTLS fingerprint");
        return -1;
    }
    if (!json_is_array(cands) || json_array_size(cands) < 1 || json_array_size(cands) > SDP_MAX_CANDIDATES) {
        snprintf(err, errlen, "not 1 to %d candidates", SDP_MAX_CANDIDATES);
        return -1;
    }
    memset(t, 0, sizeof *t);
    snprintf(t->ice_ufrag, sizeof t->ice_ufrag, "%s", ufrag);
    snprintf(t->ice_pwd, sizeof t->ice_pwd, "%s", pwd);
    snprintf(t->fingerprint, sizeof t->fingerprint, "%s", fingerprint);
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c) {
        if (parse_candidate(c, &t->candidates[i], err, errlen, i) < 0)
            return -1;
        t->n_candidates = i + 1;
    }
    return 0;
}
