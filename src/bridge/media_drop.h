/* Why the bridge dropped a packet or refused a request: one counter per
 * reason, served as stoa_media_dropped_total{reason="..."} and listed in
 * docs/security.md. */
#ifndef STOA_MEDIA_DROP_H
#define STOA_MEDIA_DROP_H

enum media_drop {
    MEDIA_DROP_MALFORMED,          /* STUN, DTLS, RTP or RTCP that failed parsing */
    MEDIA_DROP_UNKNOWN,            /* from an unknown address, or an SSRC its sender never declared */
    MEDIA_DROP_AUTH,               /* STUN integrity or SRTP authentication failed */
    MEDIA_DROP_OVERSIZE,           /* a datagram or ICE-TCP frame longer than the MTU */
    MEDIA_DROP_FOREIGN_SSRC,       /* an SSRC another endpoint of the conference owns */
    MEDIA_DROP_FOREIGN_CONNECTION, /* a check for a second endpoint on a claimed ICE-TCP connection */
    MEDIA_DROP_SSRC_BUDGET,        /* a new SSRC past the endpoint's budget for them */
    MEDIA_DROP_RTX_BUDGET,         /* a NACKed packet not resent: the receiver's retransmission budget is spent */
    MEDIA_DROP_KEYFRAME_BUDGET,    /* a receiver's PLI or FIR past its key-frame budget */
    MEDIA_DROP_UNKNOWN_UFRAG,      /* a STUN check naming no endpoint of the worker */
    MEDIA_DROP_TCP_REFUSED,        /* an ICE-TCP connection refused (limits, descriptors) */
    MEDIA_DROP_REASONS
};

/* The reasons' label values, indexed by enum media_drop. */
extern const char *const media_drop_names[MEDIA_DROP_REASONS];

#endif
