/* Room names and display names: what the focus accepts from the network. */
#ifndef STOA_ROOM_NAME_H
#define STOA_ROOM_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define ROOM_NAME_MAX 64          /* characters (all ASCII), excluding NUL */
#define DISPLAY_NAME_MAX 64       /* bytes of UTF-8, excluding NUL */

/* Validates a room name and writes its canonical form (lower-cased) into out
 * (ROOM_NAME_MAX + 1 bytes). A room name is 1 to 64 characters from
 * [A-Za-z0-9._-], and neither starts with '.' nor is one of the reserved
 * words "ws", "_" and "metrics" (paths the server uses itself). Room names compare
 * case-insensitively. Returns true when valid; out is untouched otherwise. */
bool room_name_canonical(const char *in, char out[ROOM_NAME_MAX + 1]);

/* Cleans a display name into out (DISPLAY_NAME_MAX + 1 bytes): rejects
 * invalid UTF-8, drops control characters, collapses runs of white space,
 * trims both ends, and cuts at a character boundary to fit. Returns true
 * when a non-empty name results; false for invalid UTF-8 or a name that is
 * empty after cleaning. */
bool display_name_clean(const char *in, char out[DISPLAY_NAME_MAX + 1]);

/* True when in is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence), the check
 * display_name_clean makes; lets a caller tell "invalid" from "empty". */
bool display_name_utf8_valid(const char *in);

#endif
