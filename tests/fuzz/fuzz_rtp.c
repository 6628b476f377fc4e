/* libFuzzer harness for the RTP parser and header-extension helpers (src/webrtc/rtp.c). */
#include "webrtc/rtp.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ID 14

/* Any broken invariant is a bug; abort so libFuzzer keeps the input. */
static void require(bool ok)
{
    if (!ok)
        abort();
}

static void check_element(const rtp_header *h, size_t off, uint8_t len)
{
    require(off >= h->ext_offset && off <= h->ext_offset + h->ext_len);
    require(len <= h->ext_offset + h->ext_len - off);
}

/* Blanks each id in turn on a copy: the id must vanish, every other element
 * must stay where it was, and nothing outside the extension block may change. */
static void fuzz_blank(const uint8_t *d, size_t n, const rtp_header *h, const int *found, const size_t *offs)
{
    size_t ext_start = h->extension ? h->ext_offset : h->header_len;
    uint8_t *copy = malloc(n);
    memcpy(copy, d, n);
    for (uint8_t id = 1; id <= MAX_ID; id++) {
        int r = rtp_ext_blank(copy, h, id);
        require(r == 0 || r == 1);
        require(rtp_ext_find(copy, h, id, NULL, NULL) == -1);
        for (uint8_t other = id + 1; other <= MAX_ID; other++) {
            size_t off = 0;
            int f = rtp_ext_find(copy, h, other, &off, NULL);
            require(f == found[other] && (f != 0 || off == offs[other]));
        }
        rtp_header again;
        require(rtp_parse(copy, n, &again) == 0 && again.header_len == h->header_len);
    }
    require(memcmp(copy, d, ext_start) == 0);
    require(memcmp(copy + h->header_len, d + h->header_len, n - h->header_len) == 0);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    rtp_header h;
    int found[MAX_ID + 1] = { 0 };
    size_t offs[MAX_ID + 1] = { 0 };
    (void)rtp_is_rtcp(d, n);
    if (rtp_parse(d, n, &h) != 0)
        return 0;
    require(h.header_len + h.payload_len + h.padding_len == n);

    /* The copy is exactly n bytes so ASan catches any read past the packet. */
    uint8_t *copy = malloc(n);
    memcpy(copy, d, n);
    for (uint8_t id = 1; id <= MAX_ID; id++) {
        uint8_t len = 0;
        bool voice;
        found[id] = rtp_ext_find(copy, &h, id, &offs[id], &len);
        if (found[id] == 0)
            check_element(&h, offs[id], len);
        int level = rtp_audio_level(copy, &h, id, &voice);
        require(level >= -1 && level <= 127);
    }
    /* Two-byte elements may use the ids a one-byte header cannot. */
    bool two_byte = h.extension && (h.ext_profile & 0xFFF0) == RTP_EXT_PROFILE_TWO_BYTE;
    for (unsigned id = MAX_ID + 1; two_byte && id <= 255; id++) {
        size_t off;
        uint8_t len;
        if (rtp_ext_find(copy, &h, (uint8_t)id, &off, &len) == 0)
            check_element(&h, off, len);
    }
    fuzz_blank(copy, n, &h, found, offs);
    free(copy);
    return 0;
}
