/* The stamp stoa-load puts at the start of every RTP payload it sends: who
 * sent it, on which stream, its per-stream sequence number and the
 * monotonic send time. The receiver reads it back to count loss and measure
 * the one-way delay through the bridge. Big-endian, 24 bytes. Video payloads
 * start with a one-byte VP8 payload descriptor (RFC 7741) before the stamp,
 * so the packets look like VP8 to anything that peeks. No allocation. */
#ifndef STOA_LOAD_STAMP_H
#define STOA_LOAD_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STAMP_SIZE 24
#define STAMP_MAGIC 0x534C4431u          /* "SLD1" */

/* Video, or with --simulcast its lowest layer; the layers above are
 * STAMP_VIDEO + 1 and + 2, each counted as a stream of its own. */
enum stamp_stream { STAMP_AUDIO = 0, STAMP_VIDEO = 1 };
#define STAMP_STREAMS 4                  /* audio and up to three video layers */
#define STAMP_VP8_KEY_HEADER 10          /* frame tag, start code, width, height (RFC 6386 9.1) */

typedef struct load_stamp {
    uint32_t publisher;                  /* the sending participant's index in the run */
    uint8_t stream;                      /* enum stamp_stream */
    uint32_t seq;                        /* per (publisher, stream), wraps at 2^32 */
    uint64_t send_ns;                    /* CLOCK_MONOTONIC at send */
} load_stamp;

/* Writes the stamp; returns STAMP_SIZE, or 0 when cap is too small. */
size_t stamp_write(uint8_t *out, size_t cap, const load_stamp *s);
/* Reads a stamp; returns 0, or -1 when too short or the magic is wrong. */
int stamp_read(const uint8_t *in, size_t len, load_stamp *s);

/* Builds a whole RTP payload of exactly payload_len bytes: for video a VP8
 * payload descriptor (S bit when first_of_frame, partition 0), then the
 * stamp, then filler. Returns payload_len, or 0 when it does not fit. */
size_t stamp_payload(uint8_t *out, size_t cap, const load_stamp *s, bool first_of_frame, size_t payload_len);

/* The first packet of a VP8 key frame of height lines (width 16:9): the
 * descriptor, a key frame header the bridge reads (to switch simulcast
 * layers and rank them by size), then the stamp and filler. Returns
 * payload_len, or 0 when it does not fit. */
size_t stamp_payload_key(uint8_t *out, size_t cap, const load_stamp *s, unsigned height, size_t payload_len);

/* Finds the stamp in a received RTP payload: video payloads (vp8 true)
 * have their VP8 descriptor (with any extension bytes) and, at the start of
 * a key frame, its header skipped first.
 * Returns 0, or -1 when there is no valid stamp. */
int stamp_find(const uint8_t *payload, size_t len, bool vp8, load_stamp *s);

#endif
