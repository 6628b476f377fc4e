/* Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01):
 * sequence number extension, feedback builder and parser. */
#include "webrtc/twcc.h"

#include <string.h>
#include "core/bytes.h"

#define FB_HDR_LEN 12          /* common header, sender SSRC, media SSRC */
#define FCI_HDR_LEN 8          /* base seq, status count, reference time, fb pkt count */
#define PKT_HDR_LEN (FB_HDR_LEN + FCI_HDR_LEN)
#define WMASK (TWCC_WINDOW - 1)

/* Packet status symbols (section 3.1.1). */
enum { SYM_LOST = 0, SYM_SMALL = 1, SYM_LARGE = 2, SYM_RESERVED = 3 };

#define RUN_MAX 8191           /* 13-bit run length */
#define VEC1_SYMBOLS 14
#define VEC2_SYMBOLS 7
#define TICKS_PER_REF (TWCC_REF_US / TWCC_DELTA_US)   /* 256 */

/* Rounds towards minus infinity, so that times before 0 still work. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- header extension ---------------------------------------------------- */

int twcc_ext_read(const uint8_t *buf, const rtp_header *h, uint8_t id, uint16_t *seq)
{
    size_t off;
    uint8_t len;
    if (!h || rtp_ext_find(buf, h, id, &off, &len) != 0 || len != TWCC_EXT_LEN)
        return -1;
    if (seq)
        *seq = be16_read(buf + off);
    return 0;
}

int twcc_ext_write(uint8_t *buf, const rtp_header *h, uint8_t id, uint16_t seq)
{
    size_t off;
    uint8_t len;
    if (!h || rtp_ext_find(buf, h, id, &off, &len) != 0 || len != TWCC_EXT_LEN)
        return -1;
    be16_write(buf + off, seq);
    return 0;
}

/* ---- recorder ---------------------------------------------------------------- */

void twcc_recorder_init(twcc_recorder *r)
{
    memset(r, 0, sizeof *r);
}

bool twcc_recorder_pending(const twcc_recorder *r)
{
    return r->started && r->next < r->end;
}

void twcc_recorder_on_packet(twcc_recorder *r, uint16_t seq, int64_t arrival_us)
{
    if (!r->started) {
        memset(r->have, 0, sizeof r->have);
        /* Start well above 0 so that unwrapping backwards stays positive. */
        int64_t ext = ((int64_t)1 << 32) + seq;
        r->next = ext;
        r->end = ext + 1;
        r->arrival_us[ext & WMASK] = arrival_us;
        r->have[ext & WMASK] = 1;
        r->started = true;
        return;
    }
    int64_t highest = r->end - 1;
    int64_t ext = highest + (int16_t)(uint16_t)(seq - (uint16_t)highest);
    if (ext > highest) {
        /* Forget what the slots held for the seqs skipped over (lost so far). */
        int64_t from = r->end > ext - TWCC_WINDOW ? r->end : ext - TWCC_WINDOW;
        for (int64_t e = from; e < ext; e++)
            r->have[e & WMASK] = 0;
        r->end = ext + 1;
        if (r->end - r->next > TWCC_WINDOW) {
            r->overflowed += (uint64_t)(r->end - TWCC_WINDOW - r->next);
            r->next = r->end - TWCC_WINDOW;
        }
    } else if (ext < r->end - TWCC_WINDOW) {
        r->too_old++;
        return;
    } else if (r->have[ext & WMASK]) {
        r->duplicates++;
        return;
    } else if (ext < r->next) {
        r->next = ext;  /* reported lost already: report again from here */
    }
    r->arrival_us[ext & WMASK] = arrival_us;
    r->have[ext & WMASK] = 1;
}

/* One packet status chunk covering statuses [i, i + *count) of sym[0..n). */
static uint16_t make_chunk(const uint8_t *sym, size_t i, size_t n, size_t *count)
{
    size_t rest = n - i;
    size_t run = 1;
    while (i + run < n && run < RUN_MAX && sym[i + run] == sym[i])
        run++;
    size_t v1 = rest < VEC1_SYMBOLS ? rest : VEC1_SYMBOLS;
    bool one_bit = true;
    for (size_t k = 0; k < v1 && one_bit; k++)
        one_bit = sym[i + k] != SYM_LARGE;
    if (run >= VEC1_SYMBOLS || (run >= VEC2_SYMBOLS && !one_bit) || run == rest) {
        *count = run;
        return (uint16_t)(sym[i] << 13 | run);
    }
    if (one_bit) {
        uint16_t c = 0x8000;
        for (size_t k = 0; k < v1; k++)
            c |= (uint16_t)(sym[i + k] << (VEC1_SYMBOLS - 1 - k));
        *count = v1;
        return c;
    }
    size_t v2 = rest < VEC2_SYMBOLS ? rest : VEC2_SYMBOLS;
    uint16_t c = 0xC000;
    for (size_t k = 0; k < v2; k++)
        c |= (uint16_t)(sym[i + k] << (2 * (VEC2_SYMBOLS - 1 - k)));
    *count = v2;
    return c;
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

size_t twcc_recorder_build(twcc_recorder *r, uint32_t sender_ssrc, uint32_t media_ssrc,
                           uint8_t *out, size_t cap)
{
    if (!twcc_recorder_pending(r) || !out || cap < TWCC_MIN_PACKET)
        return 0;
    size_t avail = (size_t)(r->end - r->next);   /* <= TWCC_WINDOW */

    /* Reference time from the first packet received in the range. */
    int64_t ref = r->last_ref;
    for (size_t i = 0; i < avail; i++) {
        int64_t e = r->next + (int64_t)i;
        if (r->have[e & WMASK]) {
            ref = floor_div(floor_div(r->arrival_us[e & WMASK], TWCC_DELTA_US), TICKS_PER_REF);
            break;
        }
    }
    /* Symbols and deltas; stop before a delta that 16 bits cannot carry. */
    int64_t prev = ref * TICKS_PER_REF;
    for (size_t i = 0; i < avail; i++) {
        int64_t e = r->next + (int64_t)i;
        if (!r->have[e & WMASK]) {
            r->sym[i] = SYM_LOST;
            continue;
        }
        int64_t ticks = floor_div(r->arrival_us[e & WMASK], TWCC_DELTA_US);
        int64_t d = ticks - prev;
        if (d < INT16_MIN || d > INT16_MAX) {
            avail = i;
            break;
        }
        r->sym[i] = d >= 0 && d <= UINT8_MAX ? SYM_SMALL : SYM_LARGE;
        r->delta[i] = (int16_t)d;
        prev = ticks;
    }

    /* Chunks, as many as fit with their deltas. A chunk that does not fit
     * whole is cut to the statuses whose deltas fit, and is the last one (a
     * vector chunk may describe fewer statuses than its size only there). */
    size_t capf = cap & ~(size_t)3;
    size_t covered = 0, nchunks = 0, dbytes = 0;
    while (covered < avail && PKT_HDR_LEN + 2 * (nchunks + 1) + dbytes <= capf) {
        size_t room = capf - (PKT_HDR_LEN + 2 * (nchunks + 1) + dbytes);
        size_t count;
        uint16_t c = make_chunk(r->sym, covered, avail, &count);
        size_t db = 0;
        for (size_t k = covered; k < covered + count; k++)
            db += r->sym[k];   /* SYM_SMALL is 1 byte, SYM_LARGE 2 */
        bool cut = db > room;
        if (cut) {
            size_t k = 0;
            for (db = 0; k < count && db + r->sym[covered + k] <= room; k++)
                db += r->sym[covered + k];
            if (k == 0)
                break;
            c = make_chunk(r->sym, covered, covered + k, &count);
            db = 0;
            for (size_t j = covered; j < covered + count; j++)
                db += r->sym[j];
        }
        r->chunk[nchunks++] = c;
        covered += count;
        dbytes += db;
        if (cut)
            break;
    }
    if (nchunks == 0)
        return 0;

    size_t len = pad4(PKT_HDR_LEN + 2 * nchunks + dbytes);
    out[0] = 0x80 | RTCP_FMT_TWCC;
    out[1] = RTCP_RTPFB;
    be16_write(out + 2, (uint16_t)(len / 4 - 1));
    be32_write(out + 4, sender_ssrc);
    be32_write(out + 8, media_ssrc);
    be16_write(out + 12, (uint16_t)r->next);
    be16_write(out + 14, (uint16_t)covered);
    uint32_t ref24 = (uint32_t)ref & TWCC_REF_MASK;
    out[16] = (uint8_t)(ref24 >> 16);
    out[17] = (uint8_t)(ref24 >> 8);
    out[18] = (uint8_t)ref24;
    out[19] = r->fb_count++;
    size_t pos = PKT_HDR_LEN;
    for (size_t k = 0; k < nchunks; k++, pos += 2)
        be16_write(out + pos, r->chunk[k]);
    for (size_t k = 0; k < covered; k++) {
        if (r->sym[k] == SYM_SMALL) {
            out[pos++] = (uint8_t)r->delta[k];
        } else if (r->sym[k] == SYM_LARGE) {
            be16_write(out + pos, (uint16_t)r->delta[k]);
            pos += 2;
        }
    }
    while (pos < len)
        out[pos++] = 0;
    r->next += (int64_t)covered;
    r->last_ref = ref;
    return len;
}

/* ---- parser ------------------------------------------------------------------- */

/* Walks the status chunks. Each call yields the symbol of the next status;
 * returns -1 when the chunks run out or a counted status is reserved. */
typedef struct chunk_walk {
    const uint8_t *fci;
    size_t len;
    size_t pos;          /* next chunk's offset */
    uint16_t chunk;
    size_t left;         /* statuses still described by the current chunk */
    size_t k;            /* index inside a vector chunk */
} chunk_walk;

static int next_symbol(chunk_walk *w)
{
    while (w->left == 0) {   /* an empty run is allowed, if useless */
        if (w->pos + 2 > w->len)
            return -1;
        w->chunk = be16_read(w->fci + w->pos);
        w->pos += 2;
        w->k = 0;
        if (!(w->chunk & 0x8000))
            w->left = w->chunk & RUN_MAX;
        else
            w->left = (w->chunk & 0x4000) ? VEC2_SYMBOLS : VEC1_SYMBOLS;
    }
    int sym;
    if (!(w->chunk & 0x8000))
        sym = (w->chunk >> 13) & 3;
    else if (w->chunk & 0x4000)
        sym = (w->chunk >> (2 * (VEC2_SYMBOLS - 1 - w->k))) & 3;
    else
        sym = (w->chunk >> (VEC1_SYMBOLS - 1 - w->k)) & 1;
    w->k++;
    w->left--;
    return sym == SYM_RESERVED ? -1 : sym;
}

/* Like next_symbol, but a run-length chunk yields up to max statuses at
 * once (their number in *n): a count of 65535 costs one step per chunk,
 * not per status. */
static int next_symbols(chunk_walk *w, size_t max, size_t *n)
{
    int sym = next_symbol(w);
    *n = 1;
    if (sym < 0 || (w->chunk & 0x8000))
        return sym;
    size_t more = w->left < max - 1 ? w->left : max - 1;
    w->left -= more;
    *n += more;
    return sym;
}

int twcc_parse(const rtcp_packet *p, twcc_feedback *fb, twcc_entry *entries, size_t cap)
{
    rtcp_fb f;
    if (!fb || !p || !p->data || p->len < 4 || p->data[1] != RTCP_RTPFB ||
        (p->data[0] & 0x1F) != RTCP_FMT_TWCC || rtcp_parse_fb(p, &f) != 0 ||
        f.fci_len < FCI_HDR_LEN)
        return -1;
    const uint8_t *fci = f.fci;
    uint16_t count = be16_read(fci + 2);

    /* First pass: where the chunks end and how many delta bytes follow. */
    chunk_walk w = { .fci = fci, .len = f.fci_len, .pos = FCI_HDR_LEN };
    size_t dbytes = 0, received = 0;
    for (size_t i = 0, n; i < count; i += n) {
        int sym = next_symbols(&w, count - i, &n);
        if (sym < 0)
            return -1;
        dbytes += (size_t)sym * n;
        received += sym != SYM_LOST ? n : 0;
    }
    /* Symbols of the last chunk beyond the count are ignored; the deltas
     * follow the chunks, then at most 3 bytes of zero padding. */
    size_t dstart = w.pos;
    if (dstart + dbytes > f.fci_len || f.fci_len - (dstart + dbytes) > 3)
        return -1;

    fb->sender_ssrc = f.sender_ssrc;
    fb->media_ssrc = f.media_ssrc;
    fb->base_seq = be16_read(fci);
    fb->status_count = count;
    fb->ref_time = (uint32_t)fci[4] << 16 | (uint32_t)fci[5] << 8 | fci[6];
    fb->fb_count = fci[7];
    fb->received = (uint16_t)received;
    fb->entries = entries;
    fb->n = entries ? (count < cap ? count : cap) : 0;

    /* Second pass: statuses and deltas together. */
    chunk_walk w2 = { .fci = fci, .len = f.fci_len, .pos = FCI_HDR_LEN };
    const uint8_t *d = fci + dstart;
    int64_t t = (int64_t)fb->ref_time * TWCC_REF_US;
    for (size_t i = 0; i < fb->n; i++) {
        int sym = next_symbol(&w2);
        twcc_entry *e = &entries[i];
        e->seq = (uint16_t)(fb->base_seq + i);
        e->received = sym != SYM_LOST;
        e->delta_us = 0;
        e->arrival_us = 0;
        if (sym == SYM_SMALL) {
            e->delta_us = d[0] * TWCC_DELTA_US;
            d += 1;
        } else if (sym == SYM_LARGE) {
            e->delta_us = (int16_t)be16_read(d) * TWCC_DELTA_US;
            d += 2;
        }
        if (e->received) {
            t += e->delta_us;
            e->arrival_us = t;
        }
    }
    return 0;
}
