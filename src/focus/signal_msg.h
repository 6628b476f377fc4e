/* Decoding of the messages a browser sends the focus (docs/protocol.md,
 * "Signalling"). Everything from the network is validated here, so the
 * focus logic only sees well-formed requests. */
#ifndef STOA_SIGNAL_MSG_H
#define STOA_SIGNAL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "focus/room_name.h"

#define SIGNAL_MAX_MESSAGE (256 * 1024)   /* bytes; larger messages are refused */

enum signal_type {
    SIGNAL_JOIN,
    SIGNAL_ANSWER,
    SIGNAL_MEDIA_STATE,
    SIGNAL_LEAVE,
    SIGNAL_PING,
};

typedef struct signal_msg {
    enum signal_type type;
    /* join */
    char room[ROOM_NAME_MAX + 1];       /* canonical form */
    char name[DISPLAY_NAME_MAX + 1];    /* cleaned; "Guest" when absent */
    /* answer */
    const char *sdp;                    /* owned by the message; valid until signal_msg_free */
    size_t sdp_len;
    uint32_t version;
    /* media-state */
    bool audio;
    bool video;
    void *json_;                        /* private: keeps sdp alive */
} signal_msg;

typedef struct signal_error {
    const char *code;                   /* stable, machine-readable, e.g. "bad-json" */
    char message[160];                  /* for people */
    char re[24];                        /* the offending message's "type" when known, else "" */
} signal_error;

/* Decodes one text message. Returns 0 and fills msg (release it with
 * signal_msg_free), or -1 and fills err; msg then needs no freeing.
 * Error codes: too-large, bad-json, bad-message (not an object, missing or
 * mistyped field), unknown-type, bad-room-name, bad-name. */
int signal_msg_decode(const char *buf, size_t len, signal_msg *msg, signal_error *err);
void signal_msg_free(signal_msg *msg);

#endif
