/* Decoding of client → server signalling messages (docs/protocol.md, "Signalling"). */
#include "check.h"
#include "focus/signal_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int decode(const char *s, signal_msg *msg, signal_error *err)
{
    return signal_msg_decode(s, strlen(s), msg, err);
}

/* ---- valid messages, fields checked ---- */

struct join_case {
    const char *json;
    const char *room;
    const char *name;
};

static void test_join(void)
{
    const struct join_case cases[] = {
        { "{\"type\":\"join\",\"room\":\"physics-101\",\"name\":\"Alice\"}", "physics-101", "Alice" },
        { "{\"type\":\"join\",\"room\":\"Physics-101\",\"name\":\"  Ada   Lovelace \"}", "physics-101",
          "Ada Lovelace" },
        { "{\"type\":\"join\",\"room\":\"r\"}", "r", "Guest" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\"}", "r", "Guest" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\" \\t\\n \"}", "r", "Guest" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\u0001\\u007f\"}", "r", "Guest" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":null}", "r", "Guest" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"Jos\\u00e9\"}", "r", "Jos\xC3\xA9" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\ud83d\\ude00 Smile\"}", "r",
          "\xF0\x9F\x98\x80 Smile" },
        { "{\"name\":\"Bob\",\"extra\":[1,{\"x\":2}],\"room\":\"A.B_C\",\"type\":\"join\"}", "a.b_c",
          "Bob" },
        { " \n{ \"type\" : \"join\" , \"room\" : \"x\" } \n", "x", "Guest" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signal_msg msg;
        signal_error err;
        int rc = decode(cases[i].json, &msg, &err);
        if (rc != 0)
            fprintf(stderr, "join case %zu: %s: %s\n", i, err.code, err.message);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(msg.type, SIGNAL_JOIN);
        CHECK_EQ_STR(msg.room, cases[i].room);
        CHECK_EQ_STR(msg.name, cases[i].name);
        CHECK(msg.sdp == NULL);
        signal_msg_free(&msg);
    }

    /* A long name is cut to 64 bytes on a character boundary: 35 × "é". */
    char json[512];
    strcpy(json, "{\"type\":\"join\",\"room\":\"r\",\"name\":\"");
    for (int i = 0; i < 35; i++)
        strcat(json, "\xC3\xA9");
    strcat(json, "\"}");
    signal_msg msg;
    signal_error err;
    CHECK_EQ_INT(decode(json, &msg, &err), 0);
    CHECK_EQ_INT(strlen(msg.name), 64);
    CHECK(memcmp(msg.name, "\xC3\xA9\xC3\xA9", 4) == 0 && memcmp(msg.name + 62, "\xC3\xA9", 2) == 0);
    signal_msg_free(&msg);
}

static void test_answer(void)
{
    const char *sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=setup:active\r\n";
    char json[512];
    snprintf(json, sizeof json, "{\"type\":\"answer\",\"sdp\":\"%s\",\"version\":3}",
             "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\na=setup:active\\r\\n");
    signal_msg msg;
    signal_error err;
    CHECK_EQ_INT(decode(json, &msg, &err), 0);
    CHECK_EQ_INT(msg.type, SIGNAL_ANSWER);
    CHECK_EQ_INT(msg.version, 3);
    CHECK(msg.sdp != NULL);
    CHECK_EQ_INT(msg.sdp_len, strlen(sdp));
    CHECK_EQ_STR(msg.sdp, sdp);
    CHECK(msg.json_ != NULL);
    signal_msg_free(&msg);
    CHECK(msg.sdp == NULL && msg.json_ == NULL);
    signal_msg_free(&msg);   /* a second free is harmless */

    /* The sdp outlives the input buffer: it lives in the message. */
    char *buf = strdup("{\"type\":\"answer\",\"version\":4294967295,\"sdp\":\"v=0\"}");
    CHECK_EQ_INT(signal_msg_decode(buf, strlen(buf), &msg, &err), 0);
    memset(buf, 'x', strlen(buf));
    free(buf);
    CHECK_EQ_INT(msg.version, UINT32_MAX);
    CHECK_EQ_STR(msg.sdp, "v=0");
    CHECK_EQ_INT(msg.sdp_len, 3);
    signal_msg_free(&msg);

    CHECK_EQ_INT(decode("{\"type\":\"answer\",\"sdp\":\"x\",\"version\":1}", &msg, &err), 0);
    CHECK_EQ_INT(msg.version, 1);
    signal_msg_free(&msg);
}

static void test_simple(void)
{
    signal_msg msg;
    signal_error err;
    const struct { const char *json; bool audio, video; } ms[] = {
        { "{\"type\":\"media-state\",\"audio\":true,\"video\":false}", true, false },
        { "{\"type\":\"media-state\",\"audio\":false,\"video\":true}", false, true },
        { "{\"video\":true,\"audio\":true,\"type\":\"media-state\"}", true, true },
        { "{\"type\":\"media-state\",\"audio\":false,\"video\":false}", false, false },
    };
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        CHECK_EQ_INT(decode(ms[i].json, &msg, &err), 0);
        CHECK_EQ_INT(msg.type, SIGNAL_MEDIA_STATE);
        CHECK_EQ_INT(msg.audio, ms[i].audio);
        CHECK_EQ_INT(msg.video, ms[i].video);
        signal_msg_free(&msg);
    }

    CHECK_EQ_INT(decode("{\"type\":\"leave\"}", &msg, &err), 0);
    CHECK_EQ_INT(msg.type, SIGNAL_LEAVE);
    CHECK(msg.json_ == NULL);
    signal_msg_free(&msg);

    CHECK_EQ_INT(decode("{\"type\":\"ping\",\"t\":12345}", &msg, &err), 0);
    CHECK_EQ_INT(msg.type, SIGNAL_PING);
    signal_msg_free(&msg);
}

/* ---- errors ---- */

struct err_case {
    const char *json;
    const char *code;
    const char *re;
    const char *in_message;   /* a word the human message must contain, or NULL */
};

static void test_errors(void)
{
    const struct err_case cases[] = {
        /* bad-json */
        { "", "bad-json", "", "JSON" },
        { "{\"type\":\"join\",\"room\":\"r\"", "bad-json", "", "JSON" },
        { "{\"type\":\"ping\"} x", "bad-json", "", "JSON" },
        { "{\"type\":\"ping\",\"type\":\"join\"}", "bad-json", "", "duplicate" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\",\"name\":\"b\"}", "bad-json", "", "duplicate" },
        { "{'type':'ping'}", "bad-json", "", "JSON" },
        { "{\"type\":\"join\",\"room\":\"r\\u0000x\"}", "bad-json", "", "JSON" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"a\\u0000b\"}", "bad-json", "", "JSON" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\\ud800\"}", "bad-json", "", "JSON" },
        /* Invalid UTF-8 never gets past the JSON parser. */
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\xC0\xAF\"}", "bad-json", "", "JSON" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":\"\xED\xA0\x80\"}", "bad-json", "", "JSON" },
        { "{\"type\":\"answer\",\"sdp\":\"x\",\"version\":99999999999999999999999}", "bad-json", "",
          "JSON" },
        /* bad-message: not an object */
        { "[]", "bad-message", "", "object" },
        { "[{\"type\":\"ping\"}]", "bad-message", "", "object" },
        { "42", "bad-message", "", "object" },
        { "\"ping\"", "bad-message", "", "object" },
        { "null", "bad-message", "", "object" },
        /* bad-message: type */
        { "{}", "bad-message", "", "\"type\"" },
        { "{\"room\":\"r\"}", "bad-message", "", "\"type\"" },
        { "{\"type\":1}", "bad-message", "", "\"type\"" },
        { "{\"type\":null}", "bad-message", "", "\"type\"" },
        { "{\"type\":[\"join\"]}", "bad-message", "", "\"type\"" },
        /* unknown-type */
        { "{\"type\":\"hello\"}", "unknown-type", "hello", "type" },
        { "{\"type\":\"\"}", "unknown-type", "", "type" },
        { "{\"type\":\"JOIN\",\"room\":\"r\"}", "unknown-type", "JOIN", "type" },
        { "{\"type\":\"pong\"}", "unknown-type", "pong", "type" },
        { "{\"type\":\"an-extremely-long-message-type\"}", "unknown-type",
          "an-extremely-long-messa", "type" },
        /* 22 ASCII bytes then "é": the 23-byte cut would split it. */
        { "{\"type\":\"abcdefghijklmnopqrstuv\xC3\xA9\"}", "unknown-type",
          "abcdefghijklmnopqrstuv", "type" },
        /* join */
        { "{\"type\":\"join\"}", "bad-message", "join", "\"room\"" },
        { "{\"type\":\"join\",\"name\":\"Alice\"}", "bad-message", "join", "\"room\"" },
        { "{\"type\":\"join\",\"room\":42}", "bad-message", "join", "\"room\"" },
        { "{\"type\":\"join\",\"room\":null}", "bad-message", "join", "\"room\"" },
        { "{\"type\":\"join\",\"room\":[\"r\"]}", "bad-message", "join", "\"room\"" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":7}", "bad-message", "join", "\"name\"" },
        { "{\"type\":\"join\",\"room\":\"r\",\"name\":{}}", "bad-message", "join", "\"name\"" },
        { "{\"type\":\"join\",\"room\":\"\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"a b\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"a/b\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"..\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\".hidden\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"WS\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"_\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":\"caf\\u00e9\"}", "bad-room-name", "join", "room name" },
        { "{\"type\":\"join\",\"room\":"
          "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcde\"}",
          "bad-room-name", "join", "room name" },
        /* answer */
        { "{\"type\":\"answer\",\"version\":1}", "bad-message", "answer", "\"sdp\"" },
        { "{\"type\":\"answer\",\"sdp\":5,\"version\":1}", "bad-message", "answer", "\"sdp\"" },
        { "{\"type\":\"answer\",\"sdp\":\"\",\"version\":1}", "bad-message", "answer", "\"sdp\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\"}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":0}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":-1}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":1.5}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":1.0}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":\"1\"}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":true}", "bad-message", "answer", "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":4294967296}", "bad-message", "answer",
          "\"version\"" },
        { "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":-9223372036854775808}", "bad-message",
          "answer", "\"version\"" },
        /* media-state */
        { "{\"type\":\"media-state\",\"video\":true}", "bad-message", "media-state", "\"audio\"" },
        { "{\"type\":\"media-state\",\"audio\":true}", "bad-message", "media-state", "\"video\"" },
        { "{\"type\":\"media-state\",\"audio\":1,\"video\":true}", "bad-message", "media-state",
          "\"audio\"" },
        { "{\"type\":\"media-state\",\"audio\":true,\"video\":\"on\"}", "bad-message", "media-state",
          "\"video\"" },
        { "{\"type\":\"media-state\",\"audio\":null,\"video\":null}", "bad-message", "media-state",
          "\"audio\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        signal_msg msg;
        signal_error err;
        memset(&msg, 0x5A, sizeof msg);
        int rc = decode(cases[i].json, &msg, &err);
        if (rc != -1 || !err.code || strcmp(err.code, cases[i].code) != 0)
            fprintf(stderr, "error case %zu: %s\n", i, cases[i].json);
        CHECK_EQ_INT(rc, -1);
        CHECK_EQ_STR(err.code, cases[i].code);
        CHECK_EQ_STR(err.re, cases[i].re);
        CHECK(strlen(err.message) > 10);
        if (cases[i].in_message && !strstr(err.message, cases[i].in_message))
            fprintf(stderr, "error case %zu: message \"%s\" lacks \"%s\"\n", i, err.message,
                    cases[i].in_message);
        CHECK(!cases[i].in_message || strstr(err.message, cases[i].in_message));
        /* Messages are printable ASCII sentences, never cut short. */
        bool printable = true;
        for (const char *p = err.message; *p; p++)
            printable = printable && *p >= 0x20 && *p <= 0x7E;
        CHECK(printable);
        CHECK(strlen(err.message) < sizeof err.message - 1);
        CHECK(msg.json_ == NULL && msg.sdp == NULL);   /* nothing to free */
    }
}

static void test_sizes(void)
{
    signal_msg msg;
    signal_error err;

    /* Exactly the limit is accepted: pad a ping with white space. */
    size_t len = SIGNAL_MAX_MESSAGE;
    char *buf = malloc(len + 1);
    const char *ping = "{\"type\":\"ping\"}";
    memset(buf, ' ', len);
    memcpy(buf, ping, strlen(ping));
    CHECK_EQ_INT(signal_msg_decode(buf, len, &msg, &err), 0);
    CHECK_EQ_INT(msg.type, SIGNAL_PING);
    signal_msg_free(&msg);

    /* One byte more is refused before parsing, even though it is valid JSON. */
    buf[len] = ' ';
    CHECK_EQ_INT(signal_msg_decode(buf, len + 1, &msg, &err), -1);
    CHECK_EQ_STR(err.code, "too-large");
    CHECK_EQ_STR(err.re, "");
    CHECK(strstr(err.message, "262145") != NULL);
    CHECK(strstr(err.message, "262144") != NULL);
    free(buf);

    /* The length is what counts, not a NUL: bytes after len are not read. */
    const char *s = "{\"type\":\"ping\"}garbage";
    CHECK_EQ_INT(signal_msg_decode(s, 15, &msg, &err), 0);
    CHECK_EQ_INT(msg.type, SIGNAL_PING);
    signal_msg_free(&msg);
    /* A NUL byte inside the length is not JSON. */
    CHECK_EQ_INT(signal_msg_decode("{\"type\":\"ping\"}\0", 16, &msg, &err), -1);
    CHECK_EQ_STR(err.code, "bad-json");
    CHECK_EQ_INT(signal_msg_decode("{\"type\":\"pi\0ng\"}", 16, &msg, &err), -1);
    CHECK_EQ_STR(err.code, "bad-json");

    /* A large sdp, within the limit. */
    len = 200000;
    buf = malloc(len + 100);
    int n = snprintf(buf, 100, "{\"type\":\"answer\",\"version\":7,\"sdp\":\"");
    memset(buf + n, 'a', len);
    memcpy(buf + n + len, "\"}", 3);
    CHECK_EQ_INT(signal_msg_decode(buf, strlen(buf), &msg, &err), 0);
    free(buf);
    CHECK_EQ_INT(msg.sdp_len, len);
    CHECK(msg.sdp[0] == 'a' && msg.sdp[len - 1] == 'a' && msg.sdp[len] == '\0');
    signal_msg_free(&msg);
}

/* ---- receiver-constraints ---- */

/* A valid receiver-constraints message: its last_n and selected ids. */
static void check_constraints_ok(const char *json, int last_n, int n_selected, const char *const *selected)
{
    signal_msg msg;
    signal_error err;
    memset(&msg, 0x5A, sizeof msg);
    int rc = decode(json, &msg, &err);
    if (rc != 0)
        fprintf(stderr, "receiver-constraints %s: %s: %s\n", json, err.code ? err.code : "?", err.message);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(msg.type, SIGNAL_RECEIVER_CONSTRAINTS);
    CHECK_EQ_INT(msg.last_n, last_n);
    CHECK_EQ_INT(msg.n_selected, n_selected);
    for (int i = 0; i < n_selected && i < msg.n_selected; i++)
        CHECK_EQ_STR(msg.selected[i], selected[i]);
    CHECK_EQ_STR(msg.id, "");          /* the ids are in selected, not in id */
    CHECK(msg.json_ == NULL && msg.sdp == NULL && msg.text == NULL);
    CHECK_EQ_STR(signal_type_name(msg.type), "receiver-constraints");
    signal_msg_free(&msg);
}

/* A refused receiver-constraints message: bad-message naming the field. */
static void check_constraints_bad(const char *json, const char *field)
{
    signal_msg msg;
    signal_error err;
    memset(&msg, 0x5A, sizeof msg);
    int rc = decode(json, &msg, &err);
    if (rc != -1 || !err.code || strcmp(err.code, "bad-message") != 0)
        fprintf(stderr, "receiver-constraints should be refused: %s\n", json);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_STR(err.code, "bad-message");
    CHECK_EQ_STR(err.re, "receiver-constraints");
    CHECK(strlen(err.message) > 10);
    if (field && !strstr(err.message, field))
        fprintf(stderr, "receiver-constraints %s: message \"%s\" lacks \"%s\"\n", json, err.message, field);
    CHECK(!field || strstr(err.message, field) != NULL);
    CHECK(msg.json_ == NULL && msg.sdp == NULL && msg.n_selected == 0);
}

static void test_receiver_constraints(void)
{
    static const char *const none[1] = { "" };
    /* Defaults: all cameras (-1), nothing selected; unknown fields ignored. */
    check_constraints_ok("{\"type\":\"receiver-constraints\"}", -1, 0, none);
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"extra\":{\"last_n\":5}}", -1, 0, none);
    check_constraints_ok("{\"selected\":[],\"type\":\"receiver-constraints\"}", -1, 0, none);
    /* last_n bounds: -1 to 1000. */
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":-1}", -1, 0, none);
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":0}", 0, 0, none);
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":1}", 1, 0, none);
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":999}", 999, 0, none);
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":1000}", 1000, 0, none);

    /* selected: participant ids (1-16 lower-case hex digits), kept in order. */
    static const char *const three[3] = { "a1b2c3d4", "0", "0123456789abcdef" };
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":2,"
                         "\"selected\":[\"a1b2c3d4\",\"0\",\"0123456789abcdef\"]}", 2, 3, three);
    static const char *const one[1] = { "6f1c09ab" };
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"selected\":[\"6f1c09ab\"]}", -1, 1, one);
    /* At most 8: exactly 8 is fine. */
    static const char *const eight[8] = { "1", "2", "3", "4", "5", "6", "7", "8" };
    check_constraints_ok("{\"type\":\"receiver-constraints\",\"last_n\":3,"
                         "\"selected\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\"]}", 3, 8, eight);

    /* last_n out of range or not an integer. */
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":-2}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":1001}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":1.5}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":1.0}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":\"3\"}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":true}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":[1]}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":4294967297}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":-4294967295}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":9223372036854775807}", "\"last_n\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":-9223372036854775808}", "\"last_n\"");
    /* A good selected list does not rescue a bad last_n. */
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"selected\":[\"ab\"],\"last_n\":-5}", "\"last_n\"");

    /* heights: participant id -> 0..8192, at most 64 entries; absent: -1. */
    {
        signal_msg msg;
        signal_error err;
        CHECK_EQ_INT(decode("{\"type\":\"receiver-constraints\",\"heights\":{\"a1\":360,\"b2\":0}}", &msg, &err), 0);
        CHECK_EQ_INT(msg.n_heights, 2);
        bool a1 = false, b2 = false;
        for (int i = 0; i < msg.n_heights; i++) {
            a1 |= strcmp(msg.heights[i].id, "a1") == 0 && msg.heights[i].height == 360;
            b2 |= strcmp(msg.heights[i].id, "b2") == 0 && msg.heights[i].height == 0;
        }
        CHECK(a1 && b2);
        signal_msg_free(&msg);
        CHECK_EQ_INT(decode("{\"type\":\"receiver-constraints\"}", &msg, &err), 0);
        CHECK_EQ_INT(msg.n_heights, -1);
        signal_msg_free(&msg);
        char big[4096];
        size_t n = (size_t)snprintf(big, sizeof big, "{\"type\":\"receiver-constraints\",\"heights\":{");
        for (int i = 0; i < 65; i++)
            n += (size_t)snprintf(big + n, sizeof big - n, "%s\"%x\":10", i ? "," : "", i);
        snprintf(big + n, sizeof big - n, "}}");
        check_constraints_bad(big, "\"heights\"");
    }
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"heights\":[360]}", "\"heights\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"heights\":{\"a1\":8193}}", "\"heights\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"heights\":{\"a1\":\"360\"}}", "\"heights\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"heights\":{\"a1\":1.5}}", "\"heights\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"heights\":{\"\":10}}", "\"heights\"");

    /* selected not a list. */
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"selected\":\"a1b2c3d4\"}", "\"selected\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"selected\":{\"0\":\"a1\"}}", "\"selected\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"selected\":7}", "\"selected\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"selected\":true}", "\"selected\"");
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":1,\"selected\":null}", "\"selected\"");
    /* More than 8. */
    check_constraints_bad("{\"type\":\"receiver-constraints\",\"last_n\":3,"
                          "\"selected\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}", "\"selected\"");
    /* Entries validated like every other participant id. */
    const char *bad_ids[] = {
        "[\"\"]",                                 /* empty */
        "[\"A1B2\"]",                             /* upper case */
        "[\"a1b2c3d4g\"]",                        /* not hex */
        "[\"0123456789abcdef0\"]",                /* 17 digits */
        "[\" a1\"]",
        "[\"a1\\u0000\"]",                        /* (bad-json before it gets here) */
        "[1234]",                                 /* a number */
        "[null]",
        "[[\"a1\"]]",
        "[{\"id\":\"a1\"}]",
        "[\"a1\",\"zz\"]",                        /* the second is bad */
        "[\"a1\",\"b2\",\"c3\",\"d4\",\"e5\",\"f6\",\"07\",\"\"]",   /* the eighth is bad */
    };
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char json[256];
        snprintf(json, sizeof json, "{\"type\":\"receiver-constraints\",\"last_n\":2,\"selected\":%s}", bad_ids[i]);
        if (strstr(bad_ids[i], "\\u0000")) {
            signal_msg msg;
            signal_error err;
            CHECK_EQ_INT(decode(json, &msg, &err), -1);
            CHECK_EQ_STR(err.code, "bad-json");
            continue;
        }
        check_constraints_bad(json, "participant id");
    }
    /* The same ids in other messages are refused the same way. */
    signal_msg msg;
    signal_error err;
    CHECK_EQ_INT(decode("{\"type\":\"kick\",\"id\":\"A1B2\"}", &msg, &err), -1);
    CHECK_EQ_STR(err.code, "bad-message");
    CHECK_EQ_INT(decode("{\"type\":\"kick\",\"id\":\"0123456789abcdef\"}", &msg, &err), 0);
    CHECK_EQ_STR(msg.id, "0123456789abcdef");
    signal_msg_free(&msg);
}

int main(void)
{
    test_join();
    test_answer();
    test_simple();
    test_errors();
    test_sizes();
    test_receiver_constraints();
    return check_report("signal_msg");
}
