/* Transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01):
 * the transport-wide sequence number header extension, a recorder that turns
 * packet arrivals into RTCP transport-cc feedback (RTPFB FMT 15) on the
 * receiving side, and a full parser of that feedback for the sending side.
 * No allocation: a recorder is a plain struct the caller embeds. */
#ifndef STOA_TWCC_H
#define STOA_TWCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"

#define TWCC_EXT_LEN 2                 /* data bytes of the header extension element */
#define TWCC_DELTA_US 250              /* unit of receive deltas */
#define TWCC_REF_US 64000              /* unit of the reference time */
#define TWCC_REF_MASK 0xFFFFFFu        /* the reference time is 24 bits and wraps */
#define TWCC_REF_WRAP_US ((int64_t)TWCC_REF_US << 24)   /* ~12.4 days */
#define TWCC_WINDOW 4096               /* packets a recorder remembers (power of two) */
#define TWCC_MIN_PACKET 24             /* smallest useful cap for twcc_recorder_build */

/* ---- header extension ---------------------------------------------------- */

/* Reads the transport-wide sequence number carried in extension element id
 * (either RFC 8285 form; h from rtp_parse). Returns 0, or -1 when the element
 * is absent, malformed or not exactly 2 bytes long. */
int twcc_ext_read(const uint8_t *buf, const rtp_header *h, uint8_t id, uint16_t *seq);
/* Overwrites, in place, the sequence number of an existing 2-byte element id
 * (the bridge renumbers packets it forwards on another transport). Returns 0,
 * or -1 when there is no such element; the packet is then untouched. */
int twcc_ext_write(uint8_t *buf, const rtp_header *h, uint8_t id, uint16_t seq);

/* ---- receiving side: feedback builder --------------------------------------- */

/* Remembers the arrival time of the last TWCC_WINDOW sequence numbers and
 * what has been reported. Zero-initialised it is ready (same as _init). */
typedef struct twcc_recorder {
    int64_t arrival_us[TWCC_WINDOW];   /* by extended seq modulo the window */
    uint8_t have[TWCC_WINDOW];         /* 1 when arrival_us holds a packet */
    int64_t next;          /* extended seq: first one the next feedback reports */
    int64_t end;           /* extended seq: one past the highest received */
    int64_t last_ref;      /* reference time (64 ms units) of the last feedback */
    bool started;
    uint8_t fb_count;      /* feedback packet count of the next feedback */
    uint64_t duplicates;   /* arrivals of a seq already recorded (ignored) */
    uint64_t too_old;      /* arrivals older than the window (ignored) */
    uint64_t overflowed;   /* statuses dropped unreported: > TWCC_WINDOW pending */
    /* scratch for building, kept here so that building never uses the stack much */
    uint8_t sym[TWCC_WINDOW];
    int16_t delta[TWCC_WINDOW];
    uint16_t chunk[TWCC_WINDOW];
} twcc_recorder;

void twcc_recorder_init(twcc_recorder *r);
/* Records that transport-wide seq arrived at arrival_us (the receiver's
 * monotonic clock, µs). Sequence numbers are unwrapped against the highest
 * seen; reordering is fine. A packet arriving after its seq was already
 * reported as lost makes the next feedback start again at it (the packets
 * after it are reported a second time, which the draft allows and a sender
 * must tolerate). A duplicate keeps the first arrival. */
void twcc_recorder_on_packet(twcc_recorder *r, uint16_t seq, int64_t arrival_us);
/* True when statuses wait to be reported. */
bool twcc_recorder_pending(const twcc_recorder *r);
/* Builds one transport-cc feedback packet (RTPFB FMT 15, zero padding to 32
 * bits, P bit clear) into out, reporting as many pending statuses as fit in
 * cap bytes, and marks them reported. A packet also ends before a receive
 * delta that does not fit in 16 bits (a gap of more than 8191.75 ms between
 * two received packets): the next one gets its own reference time. Call
 * again while twcc_recorder_pending to send everything. Returns the bytes
 * written, or 0 when nothing is pending or cap < TWCC_MIN_PACKET. */
size_t twcc_recorder_build(twcc_recorder *r, uint32_t sender_ssrc, uint32_t media_ssrc,
                           uint8_t *out, size_t cap);

/* ---- sending side: feedback parser ---------------------------------------- */

typedef struct twcc_entry {
    uint16_t seq;
    bool received;
    int32_t delta_us;      /* receive delta as carried (250 µs units, in µs); 0 when lost */
    /* Reference time + the deltas so far: the receiver's clock modulo
     * TWCC_REF_WRAP_US (not reduced, so it may step just past either end).
     * Only differences mean something; 0 when lost. */
    int64_t arrival_us;
} twcc_entry;

typedef struct twcc_feedback {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    uint16_t base_seq;
    uint16_t status_count;
    uint32_t ref_time;     /* 24 bits, 64 ms units, as carried (unsigned) */
    uint8_t fb_count;
    uint16_t received;     /* statuses saying received, over the whole packet */
    size_t n;              /* entries filled: min(status_count, cap) */
    twcc_entry *entries;   /* the caller's array */
} twcc_feedback;

/* Parses a transport-cc feedback packet (p from rtcp_next). The whole packet
 * is validated: chunks covering status_count, no reserved symbol (2-bit 11)
 * among the counted statuses, every receive delta present and at most 3
 * bytes after them (zero padding; RTCP padding with the P bit is fine too).
 * A reference time of 0xFFFFFE is read as such, not as -2: arrivals are
 * modulo TWCC_REF_WRAP_US, and a consumer follows the wrap across packets.
 * The first cap statuses are stored in entries, in sequence order; fb->n
 * says how many. Returns 0, or -1 when p is not transport-cc or malformed. */
int twcc_parse(const rtcp_packet *p, twcc_feedback *fb, twcc_entry *entries, size_t cap);

#endif
