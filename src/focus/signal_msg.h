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
    SIGNAL_RENEGOTIATE,
    SIGNAL_CHAT,
    SIGNAL_HAND,
    SIGNAL_REACTION,
    /* moderator commands */
    SIGNAL_MUTE,
    SIGNAL_MUTE_ALL,
    SIGNAL_ASK_UNMUTE,
    SIGNAL_KICK,
    SIGNAL_END_MEETING,
    SIGNAL_GRANT_MODERATOR,
    SIGNAL_LOCK,
    SIGNAL_UNLOCK,
    SIGNAL_LOBBY,
    SIGNAL_LOBBY_ADMIT,
    SIGNAL_LOBBY_REJECT,
    SIGNAL_RECEIVER_CONSTRAINTS,
    SIGNAL_OFFER_FAILED,
};

#define SIGNAL_ID_MAX 16           /* participant ids: 1..16 lower-case hex digits */
#define SIGNAL_PASSWORD_MAX 128    /* bytes */
#define SIGNAL_CHAT_MAX 4000       /* bytes */
#define SIGNAL_MAX_SELECTED 8      /* receiver-constraints "selected" */
#define SIGNAL_MAX_HEIGHTS 64      /* receiver-constraints "heights" entries */
#define SIGNAL_REASON_MAX 200      /* bytes of offer-failed's "reason" */

/* The reactions a participant may send, in protocol order. */
extern const char *const signal_reactions[];
extern const int signal_reaction_count;

typedef struct signal_msg {
    enum signal_type type;
    /* join */
    char room[ROOM_NAME_MAX + 1];       /* canonical form */
    char name[DISPLAY_NAME_MAX + 1];    /* cleaned; "Guest" when absent */
    bool has_password;                  /* join (optional), lock (required) */
    char password[SIGNAL_PASSWORD_MAX + 1];
    /* answer */
    const char *sdp;                    /* owned by the message; valid until signal_msg_free */
    size_t sdp_len;
    uint32_t version;              /* answer, offer-failed */
    char reason[SIGNAL_REASON_MAX + 1];   /* offer-failed (may be empty) */
    /* media-state */
    bool audio;
    bool video;
    bool screen;                        /* optional, false when absent */
    /* chat */
    const char *text;                   /* owned by the message, like sdp; NUL-terminated */
    size_t text_len;
    /* a participant named by chat "to", hand, mute, ask-unmute, kick,
     * grant-moderator, lobby-admit, lobby-reject; "" when absent */
    char id[SIGNAL_ID_MAX + 1];
    /* hand */
    bool raised;
    /* reaction: index into signal_reactions */
    int reaction;
    /* mute: true for "video", false for "audio" */
    bool mute_video;
    /* lobby */
    bool enabled;
    /* receiver-constraints */
    int last_n;                         /* -1: all */
    bool has_last_n;                    /* false: not given (the server's default applies) */
    char selected[SIGNAL_MAX_SELECTED][SIGNAL_ID_MAX + 1];
    int n_selected;
    struct { char id[SIGNAL_ID_MAX + 1]; int height; } heights[SIGNAL_MAX_HEIGHTS];
    int n_heights;                      /* -1: no "heights" field (keep the previous ones) */
    void *json_;                        /* private: keeps sdp and text alive */
} signal_msg;

typedef struct signal_error {
    const char *code;                   /* stable, machine-readable, e.g. "bad-json" */
    char message[160];                  /* for people */
    char re[24];                        /* the offending message's "type" when known, else "" */
} signal_error;

/* Decodes one text message. Returns 0 and fills msg (release it with
 * signal_msg_free), or -1 and fills err; msg then needs no freeing.
 * Error codes: too-large, bad-json, bad-message (not an object, missing or
 * mistyped field, a participant id or reaction out of range), unknown-type,
 * bad-room-name, bad-name. Whether the sender may use a message (role,
 * rate) is the focus's business, not the decoder's. */
int signal_msg_decode(const char *buf, size_t len, signal_msg *msg, signal_error *err);
/* The protocol name of a message type ("join", "mute-all", ...). */
const char *signal_type_name(enum signal_type type);
void signal_msg_free(signal_msg *msg);

#endif
