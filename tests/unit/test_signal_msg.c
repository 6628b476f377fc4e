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

int main(void)
{
    test_join();
    test_answer();
    test_simple();
    test_errors();
    test_sizes();
    return check_report("signal_msg");
}
