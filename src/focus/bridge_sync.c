/* A bridge that links over the network may hold conferences from before:
 * it was declared lost (a partition, a hung host) and came back, or this
 * focus restarted. This focus has none of its participants there any more,
 * so it lists what the bridge holds and expires it before placing anyone
 * on it; otherwise a proxy or relay id used again would collide with a
 * stale one. Participants that need a bridge meanwhile wait, for at most a
 * request's timeout. */
#include <string.h>

#include "core/log.h"
#include "focus/focus_internal.h"

#define SYNC_PAGES_MAX 256             /* pages of 64 (at most 256): more than any bridge holds */
#define SYNC_CONFERENCE_MAX 128        /* bytes of a conference name, as the bridge allows */

static focus_bridge *bridge_of(focus *f, int handle)
{
    for (int i = 0; handle > 0 && i < FOCUS_MAX_BRIDGES; i++)
        if (f->bridges[i].handle == handle)
            return &f->bridges[i];
    return NULL;
}

static void ask(focus *f, focus_bridge *b, const char *after)
{
    json_t *req = json_object();
    if (after)
        json_object_set_new(req, "after", json_string(after));
    b->sync_pages++;
    focus_bridge_request(f, b->handle, "conferences", NULL, NULL, req);
}

void focus_bridge_linked(focus *f, int handle)
{
    focus_bridge *b = bridge_of(f, handle);
    if (!b)
        return;
    b->syncing = true;
    ask(f, b, NULL);
}

bool bridge_sync_pending(const focus *f)
{
    for (int i = 0; i < FOCUS_MAX_BRIDGES; i++)
        if (f->bridges[i].handle > 0 && f->bridges[i].syncing)
            return true;
    return false;
}

static void done(focus *f, focus_bridge *b)
{
    if (b->stale_conferences)
        log_info("focus", "bridge %s held %d conference(s) from before it linked: expired", b->id,
                 b->stale_conferences);
    b->syncing = false;
    bridges_place_waiting(f);
}

/* A page that is not what docs/protocol.md says ends the listing: what it
 * would have named stays, and costs only that bridge's own capacity. */
static bool valid_page(const json_t *msg)
{
    const json_t *list = json_object_get(msg, "conferences");
    if (!json_is_array(list) || json_array_size(list) > 256 || !json_is_boolean(json_object_get(msg, "more")))
        return false;
    size_t i;
    const json_t *name;
    json_array_foreach(list, i, name) {
        size_t len = json_string_length(name);
        if (!json_is_string(name) || len == 0 || len > SYNC_CONFERENCE_MAX || strlen(json_string_value(name)) != len)
            return false;
    }
    return true;
}

void bridge_sync_on_answer(focus *f, int handle, json_t *msg)
{
    focus_bridge *b = bridge_of(f, handle);
    if (!b || !b->syncing)
        return;
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!msg || !type || strcmp(type, "conferences-ok") != 0) {
        log_warn("focus", "bridge %s %s the list of its conferences: placing on it anyway", b->id,
                 msg ? "refused" : "did not answer");
        done(f, b);
        return;
    }
    if (!valid_page(msg)) {
        log_warn("focus", "bridge %s sent a malformed list of its conferences: ignored", b->id);
        done(f, b);
        return;
    }
    json_t *list = json_object_get(msg, "conferences");
    size_t i;
    json_t *name;
    json_array_foreach(list, i, name) {
        focus_bridge_request(f, handle, "expire-conference", json_string_value(name), NULL, json_object());
        b->stale_conferences++;
    }
    size_t n = json_array_size(list);
    if (json_is_true(json_object_get(msg, "more")) && n > 0 && b->sync_pages < SYNC_PAGES_MAX)
        ask(f, b, json_string_value(json_array_get(list, n - 1)));
    else
        done(f, b);
}
