/* Fuzzes signalling message decoding, room names and display names with
 * arbitrary bytes, and checks the invariants the focus relies on. */
#include "focus/signal_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_canonical_room(const char *room)
{
    size_t n = strlen(room);
    REQUIRE(n >= 1 && n <= ROOM_NAME_MAX);
    char again[ROOM_NAME_MAX + 1];
    REQUIRE(room_name_canonical(room, again) && strcmp(again, room) == 0);
}

static void check_clean_name(const char *name)
{
    size_t n = strlen(name);
    REQUIRE(n >= 1 && n <= DISPLAY_NAME_MAX);
    REQUIRE(name[0] != ' ' && name[n - 1] != ' ');
    char again[DISPLAY_NAME_MAX + 1];
    REQUIRE(display_name_clean(name, again) && strcmp(again, name) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    signal_msg msg;
    signal_error err;
    if (signal_msg_decode((const char *)data, size, &msg, &err) == 0) {
        switch (msg.type) {
        case SIGNAL_JOIN:
            check_canonical_room(msg.room);
            check_clean_name(msg.name);
            break;
        case SIGNAL_ANSWER:
            REQUIRE(msg.sdp && msg.sdp_len > 0 && strlen(msg.sdp) == msg.sdp_len);
            REQUIRE(msg.version >= 1);
            break;
        default:
            break;
        }
        signal_msg_free(&msg);
    } else {
        REQUIRE(err.code != NULL);
        REQUIRE(err.message[0] != '\0' && memchr(err.message, '\0', sizeof err.message));
        REQUIRE(memchr(err.re, '\0', sizeof err.re));
        REQUIRE(display_name_utf8_valid(err.re));
    }

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char room[ROOM_NAME_MAX + 1];
    if (room_name_canonical(s, room))
        check_canonical_room(room);
    char name[DISPLAY_NAME_MAX + 1];
    bool valid = display_name_utf8_valid(s);
    if (display_name_clean(s, name)) {
        REQUIRE(valid);
        check_clean_name(name);
    }
    free(s);
    return 0;
}
