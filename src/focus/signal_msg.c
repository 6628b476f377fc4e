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

static int decode_answer(json_t *root, signal_msg *msg, signal_error *err)
{
    json_t *sdp;
    if (get_string(root, "sdp", "answer", &sdp, err) < 0)
        return -1;
    if (json_string_length(sdp) == 0)
        return fail(err, "bad-message", "The field \"sdp\" of \"answer\" must not be empty.");
    json_t *version = json_object_get(root, "version");
    if (!version)
        return fail(err, "bad-message",
                    "The \"answer\" message needs the field \"version\" (the offer's version).");
    if (!json_is_integer(version))
        return fail(err, "bad-message", "The field \"version\" of \"answer\" must be an integer.");
    json_int_t v = json_integer_value(version);
    if (v < 1 || v > (json_int_t)UINT32_MAX)
        return fail(err, "bad-message",
                    "The field \"version\" of \"answer\" must be between 1 and 4294967295.");
    msg->sdp = json_string_value(sdp);
    msg->sdp_len = json_string_length(sdp);
    msg->version = (uint32_t)v;
    return 0;
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

    if (strcmp(t, "join") == 0) {
        msg->type = SIGNAL_JOIN;
        rc = decode_join(root, msg, err);
    } else if (strcmp(t, "answer") == 0) {
        msg->type = SIGNAL_ANSWER;
        rc = decode_answer(root, msg, err);
        if (rc == 0) {
            msg->json_ = root;   /* keeps sdp alive */
            root = NULL;
        }
    } else if (strcmp(t, "media-state") == 0) {
        msg->type = SIGNAL_MEDIA_STATE;
        rc = get_bool(root, "audio", t, &msg->audio, err);
        if (rc == 0)
            rc = get_bool(root, "video", t, &msg->video, err);
    } else if (strcmp(t, "leave") == 0) {
        msg->type = SIGNAL_LEAVE;
        rc = 0;
    } else if (strcmp(t, "ping") == 0) {
        msg->type = SIGNAL_PING;
        rc = 0;
    } else {
        fail(err, "unknown-type",
             "Unknown message type; expected join, answer, media-state, leave or ping.");
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
}
