/* What a focus finds on a bridge that links (again): the conferences left
 * from before ("conferences"), and their removal ("expire-conference").
 * A focus that declared this bridge lost has moved its participants on, so
 * whatever the bridge kept would only collide with what comes next. */
#include <stdio.h>
#include <string.h>

#include "bridge/control_internal.h"
#include "core/log.h"

/* A page must fit the control link's 64 KiB frames even when every byte of
 * every name is a control character JSON escapes in six: 64 names of 127
 * bytes, quoted, stay below 49 KiB. */
#define CONFERENCES_PAGE 64

void handle_list_conferences(bridge *b, json_t *req, json_int_t id)
{
    json_t *after_json = json_object_get(req, "after");
    const char *after = after_json ? string_field(req, "after", CONFERENCE_NAME_MAX) : NULL;
    if (after_json && !after) {
        respond_error(b, id, "bad-request", "after, when given, is a conference name (1-128 bytes)");
        return;
    }
    /* The registry keeps no order, so "after" is the byte order of names:
     * a page holds the smallest names greater than after. */
    const char *page[CONFERENCES_PAGE];
    size_t n = 0;
    bool more = false;
    for (reg_conference *c = b->conferences; c; c = c->next) {
        if (after && strcmp(c->name, after) <= 0)
            continue;
        if (n == CONFERENCES_PAGE) {
            more = true;
            if (strcmp(c->name, page[n - 1]) > 0)
                continue;
            n--;   /* the greatest makes room: it comes on a later page */
        }
        size_t at = n++;
        for (; at > 0 && strcmp(page[at - 1], c->name) > 0; at--)
            page[at] = page[at - 1];
        page[at] = c->name;
    }
    json_t *names = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(names, json_string(page[i]));
    b->emit(b->user, json_pack("{s:s, s:I, s:o, s:b}", "type", "conferences-ok", "id", (json_int_t)id, "conferences",
                               names, "more", more));
}

static reg_endpoint **first_endpoint(reg_conference *c, bool relays_only)
{
    for (reg_endpoint **e = &c->endpoints; *e; e = &(*e)->next)
        if (!relays_only || (*e)->kind == ENDPOINT_RELAY)
            return e;
    return NULL;
}

void handle_expire_conference(bridge *b, json_int_t id, const char *conf_name)
{
    reg_conference *c = reg_find(b, conf_name);
    if (!c) {
        respond_error(b, id, "unknown-conference", "no such conference on this bridge");
        return;
    }
    int count = 0;
    bool pushed = true;
    /* Relays first: each takes its proxies with it, here and in the worker.
     * The registry forgets the conference with its last endpoint. */
    for (int pass = 0; pass < 2; pass++) {
        reg_endpoint **e;
        while ((c = reg_find(b, conf_name)) != NULL && (e = first_endpoint(c, pass == 0)) != NULL) {
            worker_cmd *cmd = new_command(WORKER_EXPIRE, conf_name, (*e)->id);
            pushed = cmd && push_command(b, (*e)->worker, cmd) && pushed;
            count++;
            reg_expire(b, c, e);
        }
    }
    log_info("bridge", "conference %s expired with its %d endpoint(s)", conf_name, count);
    if (pushed)
        respond_ok(b, "expire-conference", id);
    else
        respond_error(b, id, "unavailable", "out of memory");
}
