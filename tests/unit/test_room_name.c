/* Room name validation and display name cleaning (docs/protocol.md, "Signalling"). */
#include "check.h"
#include "focus/room_name.h"

#include <stdbool.h>
#include <string.h>

struct room_case {
    const char *in;
    const char *out;   /* canonical form, or NULL when invalid */
};

static const char *const name64 = "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij"
                                  "abcdefghij" "abcdefghij" "abcd";
static const char *const name65 = "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij"
                                  "abcdefghij" "abcdefghij" "abcde";

static void test_room_names(void)
{
    const struct room_case cases[] = {
        { "physics-101", "physics-101" },
        { "Physics-101", "physics-101" },
        { "MiXeD.Case_Room-9", "mixed.case_room-9" },
        { "a", "a" },
        { "0", "0" },
        { "-", "-" },
        { "__", "__" },
        { "wss", "wss" },
        { "w", "w" },
        { "a.b", "a.b" },
        { "a..", "a.." },
        { "_x", "_x" },
        { name64, name64 },
        { "", NULL },
        { name65, NULL },
        { "two words", NULL },
        { " lead", NULL },
        { "trail ", NULL },
        { "a/b", NULL },
        { "/", NULL },
        { "..", NULL },
        { ".", NULL },
        { ".hidden", NULL },
        { "ws", NULL },
        { "WS", NULL },
        { "metrics", NULL },
        { "Metrics", NULL },
        { "metrics2", "metrics2" },
        { "wS", NULL },
        { "_", NULL },
        { "caf\xC3\xA9", NULL },            /* café */
        { "\xE6\x95\xB0\xE5\xAD\xA6", NULL }, /* 数学 */
        { "a\tb", NULL },
        { "a+b", NULL },
        { "a%20b", NULL },
        { "a\\b", NULL },
        { "a:b", NULL },
        { "a?b", NULL },
        { "a#b", NULL },
        { "\xFF", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[ROOM_NAME_MAX + 1];
        memset(out, 'Z', sizeof out);
        out[ROOM_NAME_MAX] = '\0';
        bool ok = room_name_canonical(cases[i].in, out);
        if (cases[i].out) {
            if (!ok)
                fprintf(stderr, "room case %zu (\"%s\") should be valid\n", i, cases[i].in);
            CHECK(ok);
            CHECK_EQ_STR(out, cases[i].out);
        } else {
            if (ok)
                fprintf(stderr, "room case %zu (\"%s\") should be invalid\n", i, cases[i].in);
            CHECK(!ok);
            CHECK(out[0] == 'Z' && out[ROOM_NAME_MAX - 1] == 'Z');   /* untouched */
        }
    }
    char out[ROOM_NAME_MAX + 1];
    CHECK(!room_name_canonical(NULL, out));
    /* Canonical forms are themselves canonical. */
    CHECK(room_name_canonical("Physics-101", out));
    char again[ROOM_NAME_MAX + 1];
    CHECK(room_name_canonical(out, again));
    CHECK_EQ_STR(again, out);
    CHECK_EQ_INT(strlen(name64), ROOM_NAME_MAX);
    CHECK_EQ_INT(strlen(name65), ROOM_NAME_MAX + 1);
}

struct name_case {
    const char *in;
    const char *out;   /* cleaned form, or NULL when display_name_clean returns false */
};

/* 35 two-byte characters ("é" × 35) = 70 bytes: cut to 32 characters = 64 bytes. */
#define E5 "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
#define E35 E5 E5 E5 E5 E5 E5 E5
#define E32 E5 E5 E5 E5 E5 E5 "\xC3\xA9\xC3\xA9"
/* "a" + 23 three-byte characters ("€" × 23) = 70 bytes: cut to "a" + 21 = 64 bytes. */
#define EUR3 "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC"
#define EUR23 EUR3 EUR3 EUR3 EUR3 EUR3 EUR3 EUR3 "\xE2\x82\xAC\xE2\x82\xAC"
#define EUR21 EUR3 EUR3 EUR3 EUR3 EUR3 EUR3 EUR3
/* 62 ASCII bytes, then a space, then a 4-byte emoji: the emoji cannot fit
 * with its space, so the name ends before the space. */
#define A62 "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "ab"
#define A64 A62 "cd"

static void test_display_names(void)
{
    const struct name_case cases[] = {
        { "Alice", "Alice" },
        { "  Alice  ", "Alice" },
        { "Alice   Bob", "Alice Bob" },
        { "\t Alice \n\r Bob \v\f", "Alice Bob" },
        { "Alice\xC2\xA0\xC2\xA0" "Bob", "Alice Bob" },                  /* NBSP run */
        { "\xE3\x80\x80" "Alice\xE2\x80\x83" "Bob\xE2\x80\xAF", "Alice Bob" }, /* U+3000, U+2003, U+202F */
        { "Al\x01i\x1F" "ce", "Alice" },                                 /* C0 dropped */
        { "Al\x7Fice", "Alice" },                                        /* DEL dropped */
        { "Al\xC2\x80i\xC2\x9F" "ce", "Alice" },                         /* C1 dropped */
        { "Alice\xC2\x85" "Bob", "Alice Bob" },                          /* NEL is white space */
        { "a \x01 b", "a b" },
        { "a\x01" "b", "ab" },
        { "\x1B[31mRed", "[31mRed" },
        { "\xE2\x80\xAE" "evil\xE2\x80\xAC", "evil" },                   /* RLO ... PDF dropped */
        { "\xE2\x81\xA7" "x\xE2\x81\xA9", "x" },                         /* FSI ... PDI dropped */
        { "\xEF\xBB\xBF" "Bom", "Bom" },                                 /* BOM dropped */
        { "a\xE2\x80\x8B" "b", "ab" },                                   /* ZWSP dropped */
        { "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",                /* ZWJ kept */
          "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB" },
        { "Jos\xC3\xA9 \xE6\x95\xB0\xE5\xAD\xA6 \xF0\x9F\x98\x80",       /* 2-, 3-, 4-byte */
          "Jos\xC3\xA9 \xE6\x95\xB0\xE5\xAD\xA6 \xF0\x9F\x98\x80" },
        { "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF" },                      /* U+10FFFF */
        { "\xED\x9F\xBF", "\xED\x9F\xBF" },                              /* U+D7FF */
        { "\xEE\x80\x80", "\xEE\x80\x80" },                              /* U+E000 */
        { E35, E32 },
        { "a" EUR23, "a" EUR21 },
        { A64, A64 },
        { A64 "e", A64 },
        { A62 " \xF0\x9F\x98\x80", A62 },
        { A62 "  c", A62 " c" },
        { "  " A64 "  ", A64 },
        /* Empty after cleaning. */
        { "", NULL },
        { " ", NULL },
        { " \t\n\r\v\f ", NULL },
        { "\xC2\xA0\xE3\x80\x80", NULL },
        { "\x01\x02\x7F", NULL },
        { "\xE2\x80\x8B\xEF\xBB\xBF", NULL },
        /* Invalid UTF-8. */
        { "\xC0\xAF", NULL },                 /* overlong '/' */
        { "\xC1\xBF", NULL },                 /* overlong */
        { "\xE0\x80\xAF", NULL },             /* overlong, 3 bytes */
        { "\xE0\x9F\xBF", NULL },             /* overlong U+07FF */
        { "\xF0\x80\x80\xAF", NULL },         /* overlong, 4 bytes */
        { "\xF0\x8F\xBF\xBF", NULL },         /* overlong U+FFFF */
        { "\xED\xA0\x80", NULL },             /* U+D800 */
        { "\xED\xBF\xBF", NULL },             /* U+DFFF */
        { "\xED\xA0\xBD\xED\xB8\x80", NULL }, /* CESU-8 surrogate pair */
        { "\xF4\x90\x80\x80", NULL },         /* U+110000 */
        { "\xF5\x80\x80\x80", NULL },
        { "\xFE", NULL },
        { "\xFF", NULL },
        { "\x80", NULL },                     /* stray continuation */
        { "ab\xBF" "cd", NULL },
        { "\xC3", NULL },                     /* truncated at the end */
        { "\xE2\x82", NULL },
        { "\xF0\x9F\x98", NULL },
        { "\xC3" "A", NULL },                 /* truncated by an ASCII byte */
        { "\xE2\x82 x", NULL },
        { "Alice\xC0\xAF", NULL },
        { "   \xED\xA0\x80   ", NULL },
        { A64 "\xFF", NULL },                 /* invalid past the cut still counts */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[DISPLAY_NAME_MAX + 1];
        memset(out, 'Z', sizeof out);
        out[DISPLAY_NAME_MAX] = '\0';
        bool ok = display_name_clean(cases[i].in, out);
        if (cases[i].out) {
            if (!ok)
                fprintf(stderr, "name case %zu should clean\n", i);
            CHECK(ok);
            CHECK_EQ_STR(out, cases[i].out);
            CHECK(strlen(out) <= DISPLAY_NAME_MAX);
            /* Cleaning is idempotent. */
            char again[DISPLAY_NAME_MAX + 1];
            CHECK(display_name_clean(out, again));
            CHECK_EQ_STR(again, out);
        } else {
            if (ok)
                fprintf(stderr, "name case %zu should fail, gave \"%s\"\n", i, out);
            CHECK(!ok);
            CHECK(out[0] == 'Z' && out[DISPLAY_NAME_MAX - 1] == 'Z');   /* untouched */
        }
    }
    char out[DISPLAY_NAME_MAX + 1];
    CHECK(!display_name_clean(NULL, out));
    CHECK_EQ_INT(strlen(E35), 70);
    CHECK_EQ_INT(strlen(E32), 64);
    CHECK_EQ_INT(strlen("a" EUR23), 70);
    CHECK_EQ_INT(strlen("a" EUR21), 64);
}

static void test_utf8_valid(void)
{
    CHECK(display_name_utf8_valid(""));
    CHECK(display_name_utf8_valid("   "));
    CHECK(display_name_utf8_valid("\x01\x7F"));
    CHECK(display_name_utf8_valid("Jos\xC3\xA9 \xF0\x9F\x98\x80"));
    CHECK(display_name_utf8_valid("\xF4\x8F\xBF\xBF"));
    CHECK(!display_name_utf8_valid("\xC0\xAF"));
    CHECK(!display_name_utf8_valid("\xED\xA0\x80"));
    CHECK(!display_name_utf8_valid("\xF4\x90\x80\x80"));
    CHECK(!display_name_utf8_valid("x\xE2\x82"));
    CHECK(!display_name_utf8_valid(NULL));
}

int main(void)
{
    test_room_names();
    test_display_names();
    test_utf8_valid();
    return check_report("room_name");
}
