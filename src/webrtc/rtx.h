/* RTP retransmission payload format (RFC 4588), session-multiplexed: an RTX
 * packet travels on its own SSRC and payload type, with the original
 * sequence number (OSN) in the first two bytes of its payload.
 *
 * Builders and parsers only: no allocation, never reads or writes outside
 * the buffers given. Packets are plaintext RTP (before SRTP protection,
 * after unprotection). */
#ifndef STOA_RTX_H
#define STOA_RTX_H

#include <stddef.h>
#include <stdint.h>

#include "webrtc/rtp.h"

#define RTX_OSN_LEN 2

/* Return codes. */
#define RTX_OK 0
#define RTX_EMPTY 1           /* rtx_parse/rtx_restore: no payload, so no OSN */
#define RTX_ERR_INVALID (-1)  /* malformed packet or bad argument */
#define RTX_ERR_SPACE (-2)    /* output buffer too small */

/* Builds the retransmission of the RTP packet orig[0..orig_len) into
 * out[0..out_cap): the original header (version, marker, timestamp, CSRCs,
 * header extension, byte for byte) with payload type rtx_pt, sequence number
 * rtx_seq and SSRC rtx_ssrc; then the OSN (the original sequence number,
 * network order); then the original payload. The original's padding is
 * removed and the P bit cleared (RFC 4588 section 4). The output is
 * orig_len - padding + 2 bytes.
 *
 * out may be the same buffer as orig (built in place, out_cap being that
 * buffer's size); otherwise the two must not overlap.
 *
 * Returns RTX_OK with *out_len set; RTX_ERR_INVALID when orig does not parse
 * as RTP (rtp_parse), rtx_pt > 127 or a pointer is NULL (out untouched);
 * RTX_ERR_SPACE when out_cap is too small, with *out_len set to the bytes
 * needed (out untouched). */
int rtx_build(const uint8_t *orig, size_t orig_len, uint32_t rtx_ssrc, uint8_t rtx_pt,
              uint16_t rtx_seq, uint8_t *out, size_t out_cap, size_t *out_len);

/* An RTX packet taken apart. Offsets index the buffer given to rtx_parse. */
typedef struct rtx_info {
    rtp_header hdr;            /* the RTX packet's own header (its SSRC, PT, seq) */
    uint16_t osn;              /* original sequence number */
    size_t payload_off;        /* the original payload, after the OSN */
    size_t payload_len;        /* excluding the RTX packet's padding */
} rtx_info;

/* Parses the RTX packet pkt[0..len).
 * Returns RTX_OK with *info filled; RTX_EMPTY when the packet carries no
 * payload at all (senders send padding-only packets on the RTX stream to
 * probe bandwidth): info->hdr is filled, the rest zero, and there is nothing
 * to restore; RTX_ERR_INVALID when it does not parse as RTP, its payload is
 * shorter than the OSN, or a pointer is NULL. */
int rtx_parse(const uint8_t *pkt, size_t len, rtx_info *info);

/* Rebuilds the original packet from the RTX packet pkt[0..len) into
 * out[0..out_cap): the RTX header with payload type orig_pt, SSRC orig_ssrc
 * (both known from signalling: a=fmtp apt= and a=ssrc-group:FID), sequence
 * number OSN, P bit cleared; then the payload after the OSN, without the RTX
 * packet's padding. The output is len - padding - 2 bytes. Header extensions
 * and CSRCs are kept as the RTX packet carries them.
 *
 * out may be the same buffer as pkt (restored in place); otherwise the two
 * must not overlap.
 *
 * Returns RTX_OK with *out_len set; RTX_EMPTY as for rtx_parse (out
 * untouched); RTX_ERR_INVALID as for rtx_parse or when orig_pt > 127;
 * RTX_ERR_SPACE when out_cap is too small, with *out_len set to the bytes
 * needed (out untouched). */
int rtx_restore(const uint8_t *pkt, size_t len, uint8_t orig_pt, uint32_t orig_ssrc,
                uint8_t *out, size_t out_cap, size_t *out_len);

#endif
