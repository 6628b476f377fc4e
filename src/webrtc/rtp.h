/* RTP (RFC 3550) header parsing and RTP header extensions (RFC 8285),
 * read and edited in place. No allocation; never reads outside the packet. */
#ifndef STOA_RTP_H
#define STOA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12
#define RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
#define RTP_EXT_PROFILE_TWO_BYTE 0x1000  /* upper 12 bits; low 4 bits are app bits */

typedef struct rtp_header {
    uint8_t version;
    bool padding;
    bool extension;
    uint8_t csrc_count;
    bool marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint32_t csrc[15];
    uint16_t ext_profile;      /* when extension: 0xBEDE, 0x100X or other */
    size_t ext_offset;         /* offset of the extension data (after its 4-byte header) */
    size_t ext_len;            /* extension data length in bytes */
    size_t header_len;         /* offset of the payload */
    size_t payload_len;        /* excluding padding */
    uint8_t padding_len;
} rtp_header;

/* True when the packet is RTCP rather than RTP under rtcp-mux (RFC 5761:
 * second byte, the RTCP packet type, in 192..223). Needs len >= 2. */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Parses the fixed header, CSRCs, the extension block and padding.
 * Returns 0, or -1 when malformed (version != 2, lengths that overrun,
 * padding longer than the payload). */
int rtp_parse(const uint8_t *buf, size_t len, rtp_header *h);

/* Finds extension element id (1..14 for one-byte, 1..255 for two-byte).
 * On success returns 0 and sets *data_off (offset in buf) and *data_len.
 * Returns -1 when absent, the profile is unknown or the block is malformed. */
int rtp_ext_find(const uint8_t *buf, const rtp_header *h, uint8_t id,
                 size_t *data_off, uint8_t *data_len);

/* Turns element id into padding in place (its header and data bytes become
 * zero, which RFC 8285 defines as padding), so receivers never see it.
 * Returns 1 when an element was blanked, 0 when absent. */
int rtp_ext_blank(uint8_t *buf, const rtp_header *h, uint8_t id);

/* Reads the ssrc-audio-level extension (RFC 6464) element at id:
 * returns 0..127 (-dBov) and sets *voice, or -1 when absent. */
int rtp_audio_level(const uint8_t *buf, const rtp_header *h, uint8_t id, bool *voice);

#endif
