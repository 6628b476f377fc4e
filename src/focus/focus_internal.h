/* The focus's state and the helpers its files share: rooms, participants,
 * sessions, and sending. Private to src/focus/. */
#ifndef STOA_FOCUS_INTERNAL_H
#define STOA_FOCUS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "focus/focus.h"
#include "focus/limits.h"
#include "focus/offer.h"
#include "focus/placement.h"
#include "focus/refusals.h"
#include "focus/room_name.h"
#include "focus/signal_msg.h"

/* Each participant who sends needs up to three m= sections in everyone
 * else's offer (at most 128: past some 40 senders the later ones are not
 * offered). */
#define FOCUS_ROOM_CAPACITY 40      /* default; --room-capacity changes it */
/* Large rooms are lectures: a few send, many receive; a bridge spreads a
 * conference over its workers past --worker-participants. */
#define FOCUS_MAX_ROOM_CAPACITY 200
#define FOCUS_CHAT_HISTORY 200
#define FOCUS_REACTION_BURST 5        /* reactions allowed per window */
#define FOCUS_REACTION_WINDOW_MS 10000
#define FOCUS_MAX_ROOMS 1000          /* default; --max-rooms changes it */
#define FOCUS_LOBBY_CAPACITY 50       /* newcomers waiting in one room's lobby */
#define FOCUS_NEGOTIATION_ATTEMPTS 3  /* offers in a row a client may fail to apply */
#define FOCUS_BAD_ANSWERS 10          /* unusable answers to one offer before the session ends */
/* Chat to a receiver with more than this queued is dropped for it, so that a
 * flood cannot push it to the transport's cap and get it disconnected. */
#define FOCUS_CHAT_RECEIVER_QUEUE_MAX (1024 * 1024)

/* What a participant may repeat, each with its own bucket (limits.c). */
enum rate_kind { RATE_CHAT, RATE_HAND, RATE_MEDIA_STATE, RATE_RENEGOTIATE, RATE_CONSTRAINTS, RATE_MODERATION,
                 RATE_COUNT };
extern const bucket_rate focus_rates[RATE_COUNT];

typedef struct room room;
typedef struct participant participant;

struct participant {
    char id[PARTICIPANT_ID_MAX];
    char name[DISPLAY_NAME_MAX + 1];
    bool moderator;
    bool on[SOURCE_COUNT];         /* mic, camera, screen switched on (media-state) */
    uint64_t hand_order;           /* 0: hand down; else position in the queue */
    int64_t talk_ms;               /* time as the dominant speaker, up to the last change */
    int64_t reactions[FOCUS_REACTION_BURST];   /* times of the last reactions */
    token_bucket rates[RATE_COUNT];
    room *room;
    participant *next;             /* in the room, oldest first */
    focus_session *session;

    int bridge;                    /* handle of the bridge serving it, 0: none yet */
    int allocate_attempts;         /* bridges asked for its current endpoint */
    int excluded_bridges[FOCUS_ALLOCATE_ATTEMPTS];   /* those that failed it */
    bool needs_bridge;             /* to be placed again (bridges.c) */
    bool allocated;                /* the bridge holds an endpoint */
    offer_transport transport;
    slot_list slots;
    uint64_t sdp_session_id;
    uint32_t version;              /* of the last offer sent */
    bool awaiting_answer;
    int negotiation_failures;      /* offers in a row the client could not apply */
    int bad_answers;               /* unusable answers to the open offer */
    bool dirty;                    /* the sections changed since the last offer */
    char offered_mids[SDP_MAX_MEDIA][SDP_MID_MAX];  /* of the offer awaiting its answer */
    /* What each of its sections sends the participant: SSRC and RTX SSRC
     * (0: none; its own sections and disabled ones send nothing). Once
     * answered, the bridge sends it media under these SSRCs only. */
    uint32_t offered_ssrcs[SDP_MAX_MEDIA][2];
    size_t n_offered;
    uint32_t own_ssrc[SOURCE_COUNT];  /* 0: not sending */
    uint32_t own_rtx[SOURCE_COUNT];   /* their RTX SSRCs (FID groups), 0: none */
    /* The camera as simulcast layers (named by rid; their SSRCs only the
     * bridge learns): own_ssrc/own_rtx of the camera are then SSRCs the
     * focus made up, of the one stream each receiver gets. */
    char camera_rids[SDP_MAX_RIDS][SDP_RID_MAX];
    size_t n_camera_rids;
    /* What a simulcast answer declares besides (Firefox: every layer's SSRC
     * and its RTX SSRC, in FID pairs; Chromium nothing): the participant's
     * own too, and the bridge pairs each layer with its RTX by them. */
    uint32_t camera_layer_ssrcs[SDP_MAX_SSRCS];
    size_t n_camera_layer_ssrcs;
    struct { uint32_t primary, repair; } camera_layer_fids[SDP_MAX_FIDS];
    size_t n_camera_layer_fids;
    int last_n;                    /* cameras it wants at most (-1: all) */
    char selected[SIGNAL_MAX_SELECTED][PARTICIPANT_ID_MAX];   /* to see first */
    int n_selected;
    json_t *heights;               /* {participant id: pixel height it shows that camera at}, or NULL */
};

/* A newcomer waiting in a room's lobby. */
typedef struct lobby_entry {
    char id[PARTICIPANT_ID_MAX];   /* becomes the participant id when admitted */
    char name[DISPLAY_NAME_MAX + 1];
    focus_session *session;
    struct lobby_entry *next;      /* oldest first */
} lobby_entry;

typedef struct chat_entry {
    json_t *message;               /* as sent: {id, from, name, text, to, ts} */
} chat_entry;

/* A relay between two bridges of a room (relays.c). */
enum room_relay_state { ROOM_RELAY_OPENING_A, ROOM_RELAY_OPENING_B, ROOM_RELAY_OPEN, ROOM_RELAY_FAILED };
#define FOCUS_ROOM_RELAYS 15           /* a room over at most six bridges */
typedef struct room_relay {
    int a, b;                      /* bridge handles, a < b */
    enum room_relay_state state;
    bool b_asked;                  /* b was sent its relay-open (so has something to expire) */
    json_int_t request;            /* the relay-open waited for */
    char key_ab[57], key_ba[57];   /* until both sides have them */
} room_relay;

struct room {
    char name[ROOM_NAME_MAX + 1];
    room_relay relays[FOCUS_ROOM_RELAYS];
    int n_relays;
    participant *participants;
    bool locked;
    char password[SIGNAL_PASSWORD_MAX + 1];
    bool lobby;
    lobby_entry *waiting;
    json_t *chat;                  /* public history, oldest first, at most FOCUS_CHAT_HISTORY */
    json_int_t next_chat_id;
    uint64_t next_hand_order;
    char dominant[PARTICIPANT_ID_MAX];   /* the bridge's dominant speaker, "" when none */
    int64_t opened_ms;             /* focus_now_ms when the first one came in */
    int64_t dominant_since_ms;     /* when dominant became it */
    room *next;
};

struct focus_session {
    void *conn;
    participant *p;
    lobby_entry *waiting;          /* in a lobby, not yet a participant */
    char address[ADDRESS_KEY_MAX]; /* the peer's, for its password budget ("" unknown) */
    int wrong_passwords;
    char region[PLACEMENT_REGION_MAX + 1];   /* "" unknown */
    bool closing;
    focus_session *next;
};

/* A bridge the focus places participants on. */
typedef struct focus_bridge {
    int handle;                    /* > 0; 0: the slot is free */
    char id[65];
    char region[PLACEMENT_REGION_MAX + 1];
    int capacity;
    int reported_endpoints;        /* its last heartbeat's, all focus nodes' included */
    double cpu;
    bool draining;
    bool syncing;                  /* clearing what it held before it linked: nobody is placed on it */
    int sync_pages;
    int stale_conferences;
} focus_bridge;

/* A bridge request waiting for its response. */
typedef struct pending {
    json_int_t id;
    int bridge;                    /* the handle it went to */
    int64_t deadline_ms;           /* it fails then; once failed, it is forgotten then */
    bool timed_out;                /* kept only to expire what a late allocate-ok made */
    char type[16];
    char room[ROOM_NAME_MAX + 1];
    char participant[PARTICIPANT_ID_MAX];
    struct pending *next;
} pending;

struct focus {
    focus_callbacks cb;
    char *turn_uris[FOCUS_MAX_TURN_URIS];
    int n_turn_uris;
    char *turn_secret;
    int turn_ttl;
    int default_last_n;            /* for participants that say nothing (-1: all) */
    int room_capacity;
    int max_rooms;
    refusals *refused;             /* the process's, or own_refusals */
    refusals own_refusals;
    password_budget *passwords;
    int64_t (*clock_ms)(void);     /* NULL: CLOCK_MONOTONIC */
    bool simulcast;                /* offers ask for three camera layers */
    bool freeing;                  /* focus_free: nothing is sent any more */
    room *rooms;
    focus_session *sessions;
    pending *pending;
    json_int_t next_request_id;
    focus_bridge bridges[FOCUS_MAX_BRIDGES];
    int next_bridge_handle;
};

/* focus.c: sending and lookup */
/* The focus's clock (monotonic milliseconds). */
int64_t focus_now_ms(const focus *f);
/* Takes a token of p's bucket for kind; when there is none, answers re
 * with rate-limited, counts it and returns false. */
bool focus_rate_ok(focus *f, participant *p, enum rate_kind kind, const char *re);
void focus_send(focus *f, focus_session *s, json_t *msg);
void focus_send_error(focus *f, focus_session *s, const char *code, const char *message, const char *re);
/* Sends msg to every participant of r but except (may be NULL). Takes msg. */
void focus_broadcast(focus *f, room *r, const participant *except, json_t *msg);
/* Sends msg to the moderators of r. Takes msg. */
void focus_to_moderators(focus *f, room *r, json_t *msg);
/* Asks the transport to close the session after what is queued. */
void focus_close(focus *f, focus_session *s, const char *bye_reason);
json_t *focus_participant_json(const participant *p);
participant *focus_find_in_room(room *r, const char *id);
participant *focus_find_participant(focus *f, const char *room_name, const char *id);
size_t focus_room_size(const room *r);
/* bridges.c: requests to bridges, placement and moving */
/* Sends req (takes it) as a request of type to the bridge with this handle,
 * with a deadline. */
void focus_bridge_request(focus *f, int bridge, const char *type, const char *room_name, const char *endpoint,
                          json_t *req);
/* Chooses p's bridge (placement) and asks it for an endpoint; when none can
 * take p, p is told bridge-error and leaves. */
void bridges_allocate(focus *f, participant *p);
/* The pending request with this id sent to bridge, taken off the list. */
pending *bridges_take_pending(focus *f, int bridge, json_int_t id);
/* p's bridge refused or never answered its allocate: tries another. */
void bridges_allocate_failed(focus *f, participant *p);
/* Whether handle is a registered bridge. */
bool bridges_known(const focus *f, int bridge);
void bridges_free_pending(focus *f);
/* Allocates for every participant marked as needing a bridge. */
void bridges_place_waiting(focus *f);

/* bridge_sync.c: what a bridge linking anew held before */
/* Whether a bridge is being cleared (participants wait for it). */
bool bridge_sync_pending(const focus *f);
/* The answer to a "conferences" request, or NULL when it timed out. */
void bridge_sync_on_answer(focus *f, int handle, json_t *msg);
/* Removes p from its room (the others are told why) and frees it; may free
 * the room. */
void focus_remove_participant(focus *f, participant *p, const char *reason);
/* Puts a session (a newcomer, or one admitted from the lobby) into r. */
void focus_enter_room(focus *f, focus_session *s, room *r, const char *id, const char *name);

/* negotiation.c: offers, answers, sources */
void negotiation_offer_if_due(focus *f, participant *p);
void negotiation_on_allocated(focus *f, participant *p, json_t *msg);
void negotiation_on_answer(focus *f, focus_session *s, const signal_msg *msg);
/* The client could not apply the open offer (offer-failed): a fresh one,
 * or after FOCUS_NEGOTIATION_ATTEMPTS failures in a row the session ends. */
void negotiation_on_offer_failed(focus *f, focus_session *s, const signal_msg *msg);
/* Gives every other participant a section for each source p sends. */
void negotiation_publish(focus *f, participant *p);
/* Tells the bridge to forward p's source or not, after its state changed. */
void negotiation_update_pause(focus *f, participant *p, media_source source);
/* Tells the bridge p's Last-N limit and selection. */
void negotiation_send_constraints(focus *f, participant *p);
/* Disables p's sections in everyone else's offers. */
void negotiation_withdraw(focus *f, participant *p);

/* The sources p sends, as configure and proxy requests carry them. */
json_t *negotiation_sources_json(const participant *p);

/* relays.c: relays between the bridges of a room */
/* Opens the relays r's bridges need and closes the others. */
void relays_sync(focus *f, room *r);
/* p (re)declared its sources: its proxies on the other bridges learn them. */
void relays_publish(focus *f, participant *p);
/* p leaves its bridge: its proxies on the other bridges go. */
void relays_participant_left(focus *f, participant *p);
/* A response to a relay request of pd (relay-open-ok or error). */
void relays_on_response(focus *f, int bridge, const pending *pd, json_t *msg);
/* Relays that failed to open are opened afresh. */
void relays_tick(focus *f);
/* The bridge whose dominant-speaker decision the room follows: that of its
 * oldest participant with media (0: none). */
int relays_primary_bridge(const room *r);
json_t *relays_json(const focus *f, const room *r);

/* moderation.c: roles and moderator commands */
/* Makes sure a non-empty room has a moderator: the longest present. */
void moderation_ensure_moderator(focus *f, room *r);
void moderation_handle(focus *f, focus_session *s, const signal_msg *msg);
/* Sends the whole lobby queue to one moderator (who just became one). */
void moderation_send_lobby(focus *f, room *r, participant *to);
/* Tells r's moderators one newcomer started or stopped waiting. */
void moderation_lobby_added(focus *f, room *r, const lobby_entry *e);
void moderation_lobby_removed(focus *f, room *r, const char *id);
/* Closes every lobby session of r with bye reason. */
void moderation_close_lobby(focus *f, room *r, const char *reason);

/* chat.c: chat, raised hands, reactions */
void chat_handle(focus *f, participant *p, const signal_msg *msg);
void hands_handle(focus *f, participant *p, const signal_msg *msg);
void reaction_handle(focus *f, participant *p, const signal_msg *msg, int64_t now_ms);
json_t *hands_queue_json(const room *r);
void hands_broadcast(focus *f, room *r);

#endif
