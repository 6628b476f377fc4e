/* Video payload inspection for forwarding: the VP8 payload descriptor and
 * payload header (RFC 7741), the VP8 key frame header (RFC 6386 9.1, which
 * RFC 7741 refers to), and H.264 key frame recognition (RFC 6184).
 * No allocation; never reads or writes outside [payload, payload + len). */
#ifndef STOA_VP8_H
#define STOA_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP8_DESCRIPTOR_MAX 6      /* required octet, X, 2 PictureID, TL0PICIDX, TID/Y/KEYIDX */
#define VP8_PAYLOAD_HEADER_LEN 3  /* the frame tag at the start of every frame */
#define VP8_KEYFRAME_HEADER_LEN 10 /* frame tag, start code, width, height */
#define VP8_PICTURE_ID_7 0x7F
#define VP8_PICTURE_ID_15 0x7FFF

/* RFC 7741 4.2:
 *        +-+-+-+-+-+-+-+-+
 *        |X|R|N|S|R| PID |  required
 *     X: |I|L|T|K| RSV   |  when X
 *     I: |M| PictureID   |  when I (a second PictureID octet when M)
 *     L: |   TL0PICIDX   |  when L
 *   T/K: |TID|Y| KEYIDX  |  when T or K
 * Reserved bits are ignored, as the RFC asks of receivers. */
typedef struct vp8_descriptor {
    bool extended;             /* X */
    bool non_reference;        /* N: the frame can be discarded without affecting others */
    bool start;                /* S: first octet of a VP8 partition */
    uint8_t partition;         /* PID, 0..7 */

    bool has_picture_id;       /* I */
    uint8_t picture_id_bits;   /* 7 or 15 when has_picture_id, else 0 */
    uint16_t picture_id;       /* 0..127 or 0..32767 */
    bool has_tl0picidx;        /* L */
    uint8_t tl0picidx;
    bool has_tid;              /* T; tid and layer_sync are 0 without it */
    uint8_t tid;               /* 0..3 */
    bool layer_sync;           /* Y */
    bool has_keyidx;           /* K; keyidx is 0 without it */
    uint8_t keyidx;            /* 0..31 */

    size_t picture_id_offset;  /* offsets in the payload of the fields, when present */
    size_t tl0picidx_offset;
    size_t size;               /* descriptor length: the VP8 data starts here (< len) */

    /* From the VP8 payload header, only when frame_start: */
    bool frame_start;          /* S = 1 and PID = 0: this packet begins a frame */
    bool keyframe;             /* frame_start and the frame tag's P (inverse key frame) bit is 0 */
    bool show_frame;           /* the frame tag's H bit */
    bool has_size;             /* keyframe and the packet holds the whole key frame header */
    uint16_t width, height;    /* 14-bit sizes in pixels (upscaling bits dropped); 0 without has_size */
} vp8_descriptor;

/* Parses an RTP payload (after the RTP header, without padding) as VP8.
 * Returns 0, or -1 when malformed: a descriptor that overruns len, no VP8
 * data after the descriptor, a frame start shorter than the 3-octet frame
 * tag, or a key frame whose start code (0x9d 0x01 0x2a, when present in the
 * packet) is wrong, or whose key frame header gives a zero width or height.
 * A key frame whose first packet ends before the header's size fields is
 * still a key frame, with has_size false. On -1, *d is unspecified. */
int vp8_parse(const uint8_t *payload, size_t len, vp8_descriptor *d);

/* Overwrite the PictureID in place, keeping its width (7 or 15 bits, the M
 * bit untouched): picture_id is reduced modulo 2^width. Return 0, or -1
 * when the payload is malformed (as vp8_parse) or has no PictureID; the
 * payload is unchanged on -1. */
int vp8_set_picture_id(uint8_t *payload, size_t len, uint16_t picture_id);

/* Overwrites TL0PICIDX in place. Returns 0, or -1 when malformed or absent. */
int vp8_set_tl0picidx(uint8_t *payload, size_t len, uint8_t tl0picidx);

/* True when an RTP payload in RFC 6184 form carries (the start of) an IDR
 * slice, NAL unit type 5 with at least one octet after its header: as a
 * single NAL unit packet, as any unit of a well-formed STAP-A, or as the
 * start fragment of a FU-A (S set, E clear: one FU never holds a whole NAL
 * unit). Units with the forbidden_zero_bit set are ignored, and a STAP-A
 * whose unit sizes are zero or do not exactly fill the payload is rejected
 * whole. Interleaved-mode forms (STAP-B, MTAP, FU-B) are not looked into.
 * Note: an IDR needs its SPS and PPS, which encoders often send in the
 * packets just before it, with the same timestamp. */
bool h264_is_keyframe(const uint8_t *payload, size_t len);

#endif
