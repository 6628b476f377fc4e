/* SDP text helpers shared by the offer writer and the answer parser:
 * character classes, byte ranges that need no NUL, fixed-size fields,
 * fingerprint syntax. Private to src/webrtc/sdp_*.c. */
#ifndef STOA_SDP_SYNTAX_H
#define STOA_SDP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Character classes                                                   */
/* ------------------------------------------------------------------ */

/* RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 /
 * %x41-5A / %x5E-7E. Mids (RFC 8843) and msid ids (RFC 8830) are tokens. */
static inline bool is_token_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B ||
           c == 0x2D || c == 0x2E || (c >= 0x30 && c <= 0x39) ||
           (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E);
}

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/". */
static inline bool is_ice_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c == '+' || c == '/';
}

/* Visible US-ASCII, no space: what Stoa accepts in a cname. */
static inline bool is_vchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7E;
}

static inline int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ------------------------------------------------------------------ */
/* Byte ranges (nothing below assumes NUL termination)                 */
/* ------------------------------------------------------------------ */

typedef struct span {
    const char *p;
    size_t n;
} span;

static inline bool span_is(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static inline bool span_all(span s, bool (*ok)(unsigned char), size_t min, size_t max)
{
    if (s.n < min || s.n > max)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!ok((unsigned char)s.p[i]))
            return false;
    return true;
}

/* Splits off the next word separated by one or more spaces. */
static inline span span_word(span *s)
{
    size_t i = 0;
    while (i < s->n && s->p[i] == ' ')
        i++;
    size_t start = i;
    while (i < s->n && s->p[i] != ' ')
        i++;
    span w = { s->p + start, i - start };
    s->p += i;
    s->n -= i;
    return w;
}

static inline span span_trim(span s)
{
    while (s.n > 0 && s.p[0] == ' ') {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && s.p[s.n - 1] == ' ')
        s.n--;
    return s;
}

/* Decimal number of 1..max_digits digits, no sign, value <= max. */
static inline bool span_uint(span s, size_t max_digits, uint64_t max, uint64_t *out)
{
    if (s.n == 0 || s.n > max_digits)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Copies s into dst (cap bytes) with a NUL; s must already fit. */
static inline void span_copy(char *dst, size_t cap, span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* A field of a caller's struct: its length if it is NUL-terminated within
 * its array, else (size_t)-1. */
static inline size_t field_len(const char *s, size_t size)
{
    const char *nul = memchr(s, '\0', size);
    return nul ? (size_t)(nul - s) : (size_t)-1;
}

static inline bool field_is(const char *s, size_t size, bool (*ok)(unsigned char), size_t min, size_t max)
{
    size_t n = field_len(s, size);
    if (n == (size_t)-1)
        return false;
    span sp = { s, n };
    return span_all(sp, ok, min, max);
}

/* "<hash-func> SP 2HEX *(":" 2HEX)" (RFC 8122), hash-func a token. */
static inline bool fingerprint_syntax_ok(span s)
{
    if (s.n == 0 || s.p[0] == ' ')
        return false;
    span alg = span_word(&s);
    if (alg.n == 0 || !span_all(alg, is_token_char, 1, 32))
        return false;
    if (s.n < 3 || s.p[0] != ' ')
        return false;
    s.p++;
    s.n--;
    if (s.n % 3 != 2)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        if (i % 3 == 2) {
            if (s.p[i] != ':')
                return false;
        } else if (hex_value((unsigned char)s.p[i]) < 0) {
            return false;
        }
    }
    return true;
}


#endif
