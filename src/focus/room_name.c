/* Room names and display names (docs/protocol.md, "Signalling").
 *
 * Display name cleaning, precisely:
 *  - The input must be valid UTF-8 as RFC 3629 defines it: no overlong
 *    forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 *    stray continuation bytes, no truncated sequences. Otherwise: false.
 *  - White space is any of: ASCII space, TAB, LF, VT, FF, CR, U+0085 (NEL),
 *    U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000
 *    (the Unicode White_Space characters). A run of white space becomes one
 *    ASCII space, and white space at either end is removed.
 *  - Dropped without trace: the other C0 controls (U+0000..U+001F), DEL
 *    (U+007F) and the other C1 controls (U+0080..U+009F); and a few
 *    invisible format characters that only serve to spoof or hide a name:
 *    the bidi embeddings, overrides and isolates (U+202A..U+202E,
 *    U+2066..U+2069), ZERO WIDTH SPACE (U+200B), WORD JOINER (U+2060) and
 *    the BOM / ZERO WIDTH NO-BREAK SPACE (U+FEFF). ZWNJ and ZWJ (U+200C,
 *    U+200D) are kept: some scripts and emoji sequences need them.
 *    Dropping a character does not end a run of white space, so
 *    "a \x01 b" becomes "a b" while "a\x01b" becomes "ab".
 *  - The result is cut to at most DISPLAY_NAME_MAX bytes at a code point
 *    boundary: the first character that does not fit ends the name (later,
 *    shorter characters are not squeezed in). The cut never leaves a
 *    trailing space. The rest of the input is still checked for validity.
 *  - On false, out is left untouched, as with room_name_canonical.
 */
#include "focus/room_name.h"

#include <stdint.h>
#include <string.h>

bool room_name_canonical(const char *in, char out[ROOM_NAME_MAX + 1])
{
    if (!in || in[0] == '\0' || in[0] == '.')
        return false;
    char tmp[ROOM_NAME_MAX + 1];
    size_t n = 0;
    for (; in[n] != '\0'; n++) {
        if (n == ROOM_NAME_MAX)
            return false;
        char c = in[n];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                   c == '-'))
            return false;
        tmp[n] = c;
    }
    tmp[n] = '\0';
    if (strcmp(tmp, "ws") == 0 || strcmp(tmp, "_") == 0 || strcmp(tmp, "metrics") == 0)
        return false;
    memcpy(out, tmp, n + 1);
    return true;
}

/* Decodes one code point from the NUL-terminated string s. Returns its
 * length in bytes (1..4) and stores it in *cp, or returns 0 when s does not
 * start with a well-formed UTF-8 sequence. Never reads past a NUL, since NUL
 * is not a continuation byte. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        len = 2, c = b & 0x1Fu, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, c = b & 0x0Fu, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, c = b & 0x07u, min = 0x10000;
    } else {
        return 0;   /* continuation byte, C0/C1 (always overlong), or F5..FF */
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

bool display_name_utf8_valid(const char *in)
{
    if (!in)
        return false;
    const unsigned char *s = (const unsigned char *)in;
    uint32_t c;
    while (*s) {
        size_t len = utf8_decode(s, &c);
        if (len == 0)
            return false;
        s += len;
    }
    return true;
}

static bool is_space(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

static bool is_dropped(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x200B || (c >= 0x202A && c <= 0x202E) ||
           c == 0x2060 || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
}

bool display_name_clean(const char *in, char out[DISPLAY_NAME_MAX + 1])
{
    if (!in)
        return false;
    const unsigned char *s = (const unsigned char *)in;
    char tmp[DISPLAY_NAME_MAX + 1];
    size_t n = 0;
    bool pending_space = false, full = false;
    while (*s) {
        uint32_t c;
        size_t len = utf8_decode(s, &c);
        if (len == 0)
            return false;
        if (!full) {
            if (is_space(c)) {
                pending_space = n > 0;
            } else if (!is_dropped(c)) {
                size_t need = len + (pending_space ? 1 : 0);
                if (n + need > DISPLAY_NAME_MAX) {
                    full = true;
                } else {
                    if (pending_space)
                        tmp[n++] = ' ';
                    memcpy(tmp + n, s, len);
                    n += len;
                    pending_space = false;
                }
            }
        }
        s += len;
    }
    if (n == 0)
        return false;
    tmp[n] = '\0';
    memcpy(out, tmp, n + 1);
    return true;
}
