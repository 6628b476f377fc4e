/* Decoding of client → server signalling messages (docs/protocol.md,
 * "Signalling"). Every error carries a code from the protocol, a sentence
 * for people and the offending message's type.
 *
 * Decisions beyond the protocol text:
 *  - Any JSON value is parsed (JSON_DECODE_ANY), so valid JSON that is not
 *    an object ("42", "[]") is bad-message rather than bad-json.
 *  - "name": null is treated like a missing name ("Guest").
 *  - jansson itself refuses invalid UTF-8 and "\u0000" anywhere in the
 *    document (bad-json), so bad-name is only a safety net.
 *  - Error messages are plain printable ASCII: the parser's own text, which
 *    may quote the input, is sanitised before it is copied in. `re` is the
 *    type cut to fit at a UTF-8 character boundary, so it stays valid UTF-8.
 */
#include "focus/signal_msg.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int fail(signal_error *err, const char *code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies s into err->re, cut at a character boundary to fit. */
static void set_re(signal_error *err, const char *s, size_t len)
{
    size_t n = len;
    if (n > sizeof err->re - 1) {
        n = sizeof err->re - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(err->re, s, n);
    err->re[n] = '\0';
}

/* Copies text keeping printable ASCII only, so that it is safe to send and log. */
static void sanitize(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; i + 1 < size && src[i] != '\0'; i++)
        dst[i] = (src[i] >= 0x20 && src[i] <= 0x7E) ? src[i] : '?';
    dst[i] = '\0';
}

static int get_string(json_t *root, const char *key, const char *type, json_t **out,
                      signal_error *err)
{
    *out = json_object_get(root, key);
    if (!*out)
        return fail(err, "bad-message", "The \"%s\" message needs the field \"%s\" (a string).",
                    type, key);
    if (!json_is_string(*out))
        return fail(err, "bad-message", "The field \"%s\" of \"%s\" must be a string.", key, type);
    return 0;
}

static int get_bool(json_t *root, const char *key, const char *type, bool *out, signal_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return fail(err, "bad-message",
                    "The \"%s\" message needs the field \"%s\" (true or false).", type, key);
    if (!json_is_boolean(v))
        return fail(err, "bad-message", "The field \"%s\" of \"%s\" must be true or false.", key,
                    type);
    *out = json_is_true(v);
    return 0;
}

static int decode_join(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *room;
    if (get_string(root, "room", "join", &room, err) < 0)
        return -1;
    if (!room_name_canonical(json_string_value(room), msg->room))
        return fail(err, "bad-room-name",
                    "The room name must be 1 to 64 characters from A-Z a-z 0-9 . _ -, must not "
                    "start with '.', and must not be \"ws\" or \"_\".");
    json_t *name = json_object_get(root, "name");
    if (name && !json_is_null(name)) {
        if (!json_is_string(name))
            return fail(err, "bad-message", "The field \"name\" of \"join\" must be a string.");
        const char *s = json_string_value(name);
        if (display_name_clean(s, msg->name))
            return 0;
        if (!display_name_utf8_valid(s))
            return fail(err, "bad-name", "The field \"name\" of \"join\" is not valid UTF-8.");
        /* Valid but nothing left after cleaning: same as no name. */
    }
    memcpy(msg->name, "Guest", sizeof "Guest");
    return 0;
}

/* The offer version a message of type t is about (1..2^32-1). */
static int get_version(json_t *root, const char *t, signal_msg *msg, signal_error *err)
{
    json_t *version = json_object_get(root, "version");
    if (!version)
        return fail(err, "bad-message", "The \"%s\" message needs the field \"version\" (the offer's version).", t);
    if (!json_is_integer(version))
        return fail(err, "bad-message", "The field \"version\" of \"%s\" must be an integer.", t);
    json_int_t v = json_integer_value(version);
    if (v < 1 || v > (json_int_t)UINT32_MAX)
        return fail(err, "bad-message", "The field \"version\" of \"%s\" must be between 1 and 4294967295.", t);
    msg->version = (uint32_t)v;
    return 0;
}

static int decode_answer(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *sdp;
    if (get_string(root, "sdp", "answer", &sdp, err) < 0)
        return -1;
    if (json_string_length(sdp) == 0)
        return fail(err, "bad-message", "The field \"sdp\" of \"answer\" must not be empty.");
    if (get_version(root, "answer", msg, err) < 0)
        return -1;
    msg->sdp = json_string_value(sdp);
    msg->sdp_len = json_string_length(sdp);
    return 0;
}

/* offer-failed: {version, reason?}; the reason is only logged. */
static int decode_offer_failed(json_t *root, signal_msg *msg, signal_error *err)
{
    if (get_version(root, "offer-failed", msg, err) < 0)
        return -1;
    json_t *reason = json_object_get(root, "reason");
    if (!reason)
        return 0;
    if (!json_is_string(reason) || json_string_length(reason) > SIGNAL_REASON_MAX)
        return fail(err, "bad-message", "The field \"reason\" of \"offer-failed\" must be a string of at most %d bytes.",
                    SIGNAL_REASON_MAX);
    /* Only printable ASCII reaches the log. */
    const char *r = json_string_value(reason);
    size_t n = 0;
    for (; r[n] && n < SIGNAL_REASON_MAX; n++)
        msg->reason[n] = r[n] >= 0x20 && r[n] < 0x7F ? r[n] : '?';
    msg->reason[n] = '\0';
    return 0;
}

const char *const signal_reactions[] = { "\U0001F44D", "\U0001F44F", "\U0001F602", "\U0001F62E",
                                         "\u2764\uFE0F", "\U0001F389" };
const int signal_reaction_count = sizeof signal_reactions / sizeof signal_reactions[0];

/* Reads a participant id (1..16 lower-case hex digits) into msg->id. */
static int get_id(json_t *root, const char *key, const char *type, bool required, signal_msg *msg,
                  signal_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!v && !required)
        return 0;
    if (!v)
        return fail(err, "bad-message", "The \"%s\" message needs the field \"%s\" (a participant id).",
                    type, key);
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    bool ok = n >= 1 && n <= SIGNAL_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    if (!ok)
        return fail(err, "bad-message", "The field \"%s\" of \"%s\" must be a participant id "
                    "(1 to 16 lower-case hex digits).", key, type);
    memcpy(msg->id, s, n + 1);
    return 0;
}

/* Reads a password of 1..SIGNAL_PASSWORD_MAX bytes into msg->password. */
static int get_password(json_t *root, const char *type, bool required, signal_msg *msg, signal_error *err)
{
    json_t *v = json_object_get(root, "password");
    if (!v && !required)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > SIGNAL_PASSWORD_MAX)
        return fail(err, "bad-message", "The field \"password\" of \"%s\" must be a string of 1 to %d "
                    "bytes.", type, SIGNAL_PASSWORD_MAX);
    memcpy(msg->password, json_string_value(v), json_string_length(v) + 1);
    msg->has_password = true;
    return 0;
}

static bool only_white_space(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static int decode_chat(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *text;
    if (get_string(root, "text", "chat", &text, err) < 0)
        return -1;
    size_t n = json_string_length(text);
    if (n == 0 || n > SIGNAL_CHAT_MAX || only_white_space(json_string_value(text)))
        return fail(err, "bad-message", "The field \"text\" of \"chat\" must hold 1 to %d bytes and "
                    "more than white space.", SIGNAL_CHAT_MAX);
    msg->text = json_string_value(text);
    msg->text_len = n;
    return get_id(root, "to", "chat", false, msg, err);
}

static int decode_reaction(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *emoji;
    if (get_string(root, "emoji", "reaction", &emoji, err) < 0)
        return -1;
    for (int i = 0; i < signal_reaction_count; i++) {
        if (strcmp(json_string_value(emoji), signal_reactions[i]) == 0) {
            msg->reaction = i;
            return 0;
        }
    }
    return fail(err, "bad-message", "The field \"emoji\" of \"reaction\" must be one of the six "
                "reactions the protocol lists.");
}

static int decode_mute(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *kind;
    if (get_id(root, "id", "mute", true, msg, err) < 0 || get_string(root, "kind", "mute", &kind, err) < 0)
        return -1;
    const char *k = json_string_value(kind);
    if (strcmp(k, "audio") != 0 && strcmp(k, "video") != 0)
        return fail(err, "bad-message", "The field \"kind\" of \"mute\" must be \"audio\" or \"video\".");
    msg->mute_video = strcmp(k, "video") == 0;
    return 0;
}

static int decode_constraints(json_t *root, signal_msg *msg, signal_error *err)
{
    const char *t = "receiver-constraints";
    json_t *last_n = json_object_get(root, "last_n"), *selected = json_object_get(root, "selected");
    msg->last_n = -1;
    msg->has_last_n = last_n != NULL;
    msg->n_heights = -1;
    json_t *heights = json_object_get(root, "heights");
    if (heights) {
        if (!json_is_object(heights) || json_object_size(heights) > SIGNAL_MAX_HEIGHTS)
            return fail(err, "bad-message", "The field \"heights\" of \"%s\" must map at most %d participant ids "
                        "to pixel heights.", t, SIGNAL_MAX_HEIGHTS);
        msg->n_heights = 0;
        const char *key;
        json_t *hv;
        json_object_foreach(heights, key, hv) {
            size_t klen = strlen(key);
            if (!json_is_integer(hv) || json_integer_value(hv) < 0 || json_integer_value(hv) > 8192 ||
                klen == 0 || klen > SIGNAL_ID_MAX)
                return fail(err, "bad-message", "The field \"heights\" of \"%s\" must map participant ids to "
                            "integers from 0 to 8192.", t);
            memcpy(msg->heights[msg->n_heights].id, key, klen + 1);
            msg->heights[msg->n_heights++].height = (int)json_integer_value(hv);
        }
    }
    if (last_n) {
        if (!json_is_integer(last_n) || json_integer_value(last_n) < -1 || json_integer_value(last_n) > 1000)
            return fail(err, "bad-message", "The field \"last_n\" of \"%s\" must be an integer from -1 to 1000.", t);
        msg->last_n = (int)json_integer_value(last_n);
    }
    if (!selected)
        return 0;
    if (!json_is_array(selected) || json_array_size(selected) > SIGNAL_MAX_SELECTED)
        return fail(err, "bad-message", "The field \"selected\" of \"%s\" must be a list of at most %d "
                    "participant ids.", t, SIGNAL_MAX_SELECTED);
    size_t i;
    json_t *v;
    json_array_foreach(selected, i, v) {
        json_t *wrap = json_pack("{s:O}", "id", v);
        int rc = wrap ? get_id(wrap, "id", t, true, msg, err) : -1;
        json_decref(wrap);
        if (rc < 0)
            return -1;
        memcpy(msg->selected[msg->n_selected++], msg->id, sizeof msg->id);
    }
    msg->id[0] = '\0';
    return 0;
}

/* Messages with no fields but their type, and those whose only field is a
 * participant id. */
static const struct { const char *name; enum signal_type type; bool needs_id; } simple_types[] = {
    { "leave", SIGNAL_LEAVE, false },
    { "ping", SIGNAL_PING, false },
    { "renegotiate", SIGNAL_RENEGOTIATE, false },
    { "mute-all", SIGNAL_MUTE_ALL, false },
    { "end-meeting", SIGNAL_END_MEETING, false },
    { "unlock", SIGNAL_UNLOCK, false },
    { "ask-unmute", SIGNAL_ASK_UNMUTE, true },
    { "kick", SIGNAL_KICK, true },
    { "grant-moderator", SIGNAL_GRANT_MODERATOR, true },
    { "lobby-admit", SIGNAL_LOBBY_ADMIT, true },
    { "lobby-reject", SIGNAL_LOBBY_REJECT, true },
};

static const char *const other_type_names[] = {
    [SIGNAL_JOIN] = "join", [SIGNAL_ANSWER] = "answer", [SIGNAL_MEDIA_STATE] = "media-state",
    [SIGNAL_CHAT] = "chat", [SIGNAL_HAND] = "hand", [SIGNAL_REACTION] = "reaction",
    [SIGNAL_MUTE] = "mute", [SIGNAL_LOCK] = "lock", [SIGNAL_LOBBY] = "lobby",
    [SIGNAL_RECEIVER_CONSTRAINTS] = "receiver-constraints", [SIGNAL_OFFER_FAILED] = "offer-failed",
};

const char *signal_type_name(enum signal_type type)
{
    for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++)
        if (simple_types[i].type == type)
            return simple_types[i].name;
    size_t n = sizeof other_type_names / sizeof other_type_names[0];
    return (size_t)type < n && other_type_names[type] ? other_type_names[type] : "";
}

/* Decodes the message of type t. Returns 0, -1 with err filled, or 1 when
 * the type is unknown. */
static int decode_body(const char *t, json_t *root, signal_msg *msg, signal_error *err)
{
    for (size_t i = 0; i < sizeof simple_types / sizeof simple_types[0]; i++) {
        if (strcmp(t, simple_types[i].name) == 0) {
            msg->type = simple_types[i].type;
            return simple_types[i].needs_id ? get_id(root, "id", t, true, msg, err) : 0;
        }
    }
    if (strcmp(t, "join") == 0) {
        msg->type = SIGNAL_JOIN;
        return decode_join(root, msg, err) < 0 ? -1 : get_password(root, t, false, msg, err);
    }
    if (strcmp(t, "answer") == 0) {
        msg->type = SIGNAL_ANSWER;
        return decode_answer(root, msg, err);
    }
    if (strcmp(t, "offer-failed") == 0) {
        msg->type = SIGNAL_OFFER_FAILED;
        return decode_offer_failed(root, msg, err);
    }
    if (strcmp(t, "media-state") == 0) {
        msg->type = SIGNAL_MEDIA_STATE;
        if (get_bool(root, "audio", t, &msg->audio, err) < 0 || get_bool(root, "video", t, &msg->video, err) < 0)
            return -1;
        return json_object_get(root, "screen") ? get_bool(root, "screen", t, &msg->screen, err) : 0;
    }
    if (strcmp(t, "chat") == 0) {
        msg->type = SIGNAL_CHAT;
        return decode_chat(root, msg, err);
    }
    if (strcmp(t, "hand") == 0) {
        msg->type = SIGNAL_HAND;
        return get_bool(root, "raised", t, &msg->raised, err) < 0 ? -1 : get_id(root, "id", t, false, msg, err);
    }
    if (strcmp(t, "reaction") == 0) {
        msg->type = SIGNAL_REACTION;
        return decode_reaction(root, msg, err);
    }
    if (strcmp(t, "mute") == 0) {
        msg->type = SIGNAL_MUTE;
        return decode_mute(root, msg, err);
    }
    if (strcmp(t, "lock") == 0) {
        msg->type = SIGNAL_LOCK;
        return get_password(root, t, true, msg, err);
    }
    if (strcmp(t, "lobby") == 0) {
        msg->type = SIGNAL_LOBBY;
        return get_bool(root, "enabled", t, &msg->enabled, err);
    }
    if (strcmp(t, "receiver-constraints") == 0) {
        msg->type = SIGNAL_RECEIVER_CONSTRAINTS;
        return decode_constraints(root, msg, err);
    }
    return 1;
}

int signal_msg_decode(const char *buf, size_t len, signal_msg *msg, signal_error *err)
{
    memset(msg, 0, sizeof *msg);
    memset(err, 0, sizeof *err);
    if (len > SIGNAL_MAX_MESSAGE)
        return fail(err, "too-large", "The message is %zu bytes; the limit is %d bytes.", len,
                    SIGNAL_MAX_MESSAGE);
    if (!buf)
        return fail(err, "bad-json", "The message is empty.");

    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        char text[sizeof jerr.text];
        sanitize(text, sizeof text, jerr.text);
        return fail(err, "bad-json", "The message is not valid JSON (at byte %d): %s.",
                    jerr.position, text);
    }

    int rc = -1;
    if (!json_is_object(root)) {
        fail(err, "bad-message", "The message must be a JSON object.");
        goto out;
    }
    json_t *type = json_object_get(root, "type");
    if (!type) {
        fail(err, "bad-message", "The message has no \"type\" field.");
        goto out;
    }
    if (!json_is_string(type)) {
        fail(err, "bad-message", "The field \"type\" must be a string.");
        goto out;
    }
    const char *t = json_string_value(type);
    set_re(err, t, json_string_length(type));

    rc = decode_body(t, root, msg, err);
    if (rc == 1) {
        rc = -1;
        fail(err, "unknown-type", "Unknown message type (see docs/protocol.md for the list).");
    } else if (rc == 0 && (msg->sdp || msg->text)) {
        msg->json_ = root;   /* keeps sdp or text alive */
        root = NULL;
    }

out:
    json_decref(root);
    if (rc < 0)
        memset(msg, 0, sizeof *msg);   /* nothing for the caller to free */
    else
        memset(err, 0, sizeof *err);
    return rc;
}

void signal_msg_free(signal_msg *msg)
{
    if (!msg)
        return;
    json_decref(msg->json_);
    msg->json_ = NULL;
    msg->sdp = NULL;
    msg->sdp_len = 0;
    msg->text = NULL;
    msg->text_len = 0;
}
