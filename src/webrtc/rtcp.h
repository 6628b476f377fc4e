/* RTCP (RFC 3550, 4585, 5104) compound packets: walking, parsing and
 * building SR, RR, SDES, BYE, NACK, PLI, FIR, REMB and recognising
 * transport-wide congestion control feedback. No allocation. */
#ifndef STOA_RTCP_H
#define STOA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
    RTCP_RTPFB = 205,   /* transport layer feedback: FMT 1 NACK, FMT 15 transport-cc */
    RTCP_PSFB = 206,    /* payload specific: FMT 1 PLI, FMT 4 FIR, FMT 15 AFB (REMB) */
};
#define RTCP_FMT_NACK 1
#define RTCP_FMT_TWCC 15
#define RTCP_FMT_PLI 1
#define RTCP_FMT_FIR 4
#define RTCP_FMT_AFB 15

/* One packet inside a compound packet. */
typedef struct rtcp_packet {
    uint8_t type;           /* enum rtcp_type (or any other value seen) */
    uint8_t count;          /* RC, SC or FMT: the 5 low bits of the first byte */
    const uint8_t *data;    /* start of this packet's common header */
    size_t len;             /* whole packet, header included, padding included */
} rtcp_packet;

typedef struct rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
} rtcp_iter;

void rtcp_iter_init(rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 and fills p with the next packet, 0 at the end, -1 when the
 * rest is malformed (bad version, length overrunning the buffer). */
int rtcp_next(rtcp_iter *it, rtcp_packet *p);
/* True when buf is a well-formed compound packet: every packet version 2,
 * lengths adding up exactly to len, at least one packet. */
bool rtcp_is_valid_compound(const uint8_t *buf, size_t len);
/* SSRC of the packet's sender (the word after the common header); 0 when too short. */
uint32_t rtcp_sender_ssrc(const rtcp_packet *p);

typedef struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost;   /* 24-bit signed on the wire */
    uint32_t highest_seq;      /* extended highest sequence number received */
    uint32_t jitter;
    uint32_t lsr;
    uint32_t dlsr;
} rtcp_report_block;

typedef struct rtcp_sr {
    uint32_t ssrc;
    uint32_t ntp_sec, ntp_frac;
    uint32_t rtp_timestamp;
    uint32_t packet_count, octet_count;
    uint8_t n_blocks;
    rtcp_report_block blocks[31];
} rtcp_sr;

typedef struct rtcp_rr {
    uint32_t ssrc;
    uint8_t n_blocks;
    rtcp_report_block blocks[31];
} rtcp_rr;

/* Feedback messages (RFC 4585): common part. */
typedef struct rtcp_fb {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci;
    size_t fci_len;
} rtcp_fb;

typedef struct rtcp_fir_entry {
    uint32_t ssrc;
    uint8_t seq;
} rtcp_fir_entry;

typedef struct rtcp_twcc_header {
    uint16_t base_seq;
    uint16_t status_count;
    int32_t reference_time;    /* 24-bit signed, multiples of 64 ms */
    uint8_t fb_count;
} rtcp_twcc_header;

/* Each parser returns 0, or -1 when p is not of that kind or is malformed. */
int rtcp_parse_sr(const rtcp_packet *p, rtcp_sr *sr);
int rtcp_parse_rr(const rtcp_packet *p, rtcp_rr *rr);
int rtcp_parse_fb(const rtcp_packet *p, rtcp_fb *fb);          /* RTPFB or PSFB */
/* NACK (RTPFB FMT 1): expands PID+BLP into sequence numbers, at most cap;
 * *n receives the count written. */
int rtcp_parse_nack(const rtcp_packet *p, uint32_t *media_ssrc, uint16_t *seqs, size_t cap, size_t *n);
int rtcp_parse_fir(const rtcp_packet *p, rtcp_fir_entry *entries, size_t cap, size_t *n);
/* REMB (PSFB FMT 15, "REMB" identifier): bitrate in bit/s and the SSRCs it covers. */
int rtcp_parse_remb(const rtcp_packet *p, uint64_t *bitrate, uint32_t *ssrcs, size_t cap, size_t *n);
int rtcp_parse_twcc(const rtcp_packet *p, uint32_t *media_ssrc, rtcp_twcc_header *h);
/* BYE: the SSRCs leaving, at most cap. */
int rtcp_parse_bye(const rtcp_packet *p, uint32_t *ssrcs, size_t cap, size_t *n);
/* SDES: validates the chunks; copies the CNAME of the first chunk that has one
 * (NUL-terminated, truncated to cap-1) and its SSRC. Returns -1 when malformed. */
int rtcp_parse_sdes_cname(const rtcp_packet *p, uint32_t *ssrc, char *cname, size_t cap);

/* Builders: each returns the bytes written, or 0 when cap is too small or
 * the arguments cannot be encoded. */
size_t rtcp_build_sr(uint8_t *out, size_t cap, const rtcp_sr *sr);
size_t rtcp_build_rr(uint8_t *out, size_t cap, uint32_t sender_ssrc,
                     const rtcp_report_block *blocks, size_t n);
size_t rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname);
size_t rtcp_build_bye(uint8_t *out, size_t cap, const uint32_t *ssrcs, size_t n);
size_t rtcp_build_pli(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
size_t rtcp_build_fir(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq);
/* NACK for the given sequence numbers (any order); packs them into PID+BLP items. */
size_t rtcp_build_nack(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                       const uint16_t *seqs, size_t n);
size_t rtcp_build_remb(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint64_t bitrate,
                       const uint32_t *ssrcs, size_t n);

#endif
