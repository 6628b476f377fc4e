/* What a configure says an endpoint sends and is told of: its source
 * table (kept state carried over by SSRC, or by group and rid for layers),
 * its declared layer RTX pairs and the SSRCs it may be sent. */
#include "bridge/worker.h"

#include <stdio.h>
#include <string.h>

#include "bridge/conference.h"

/* The source of ep that carries over into the new configuration as
 * wanted: same SSRC, or for a layer the same group SSRC and rid. */
static source *previous_source(endpoint *ep, const source *wanted, uint32_t group_ssrc)
{
    for (int i = 0; i < ep->n_sources; i++) {
        source *old = &ep->sources[i];
        if (wanted->group < 0 && old->group < 0 && old->ssrc == wanted->ssrc && old->bound)
            return old;
        if (wanted->group >= 0 && old->group >= 0 && strcmp(old->rid, wanted->rid) == 0 &&
            ep->sources[old->group].ssrc == group_ssrc)
            return old;
    }
    return NULL;
}

void configure_sources(worker *w, endpoint *ep, const worker_cmd *cmd)
{
    /* Build the new table: each source, then its layers right after it. */
    source next[ENDPOINT_MAX_SOURCES];
    bool kept[ENDPOINT_MAX_SOURCES] = { false };
    int n = 0;
    for (int i = 0; i < cmd->n_sources && n < ENDPOINT_MAX_SOURCES; i++) {
        if (conference_ssrc_user(ep->conf, cmd->ssrcs[i], ep)) {
            worker_refuse(w, MEDIA_DROP_FOREIGN_SSRC, ep, "a source declared under another endpoint's SSRC");
            continue;
        }
        uint32_t rtx = cmd->source_rtx[i];
        if (rtx && conference_ssrc_user(ep->conf, rtx, ep)) {
            worker_refuse(w, MEDIA_DROP_FOREIGN_SSRC, ep, "an RTX stream declared under another endpoint's SSRC");
            rtx = 0;
        }
        int g = n;
        source fresh = { .ssrc = cmd->ssrcs[i], .video = cmd->video[i], .bound = true, .group = -1,
                         .clock_rate = cmd->video[i] ? 90000 : 48000, .last_keyframe_request_ms = -1000000 };
        for (int k = 0; k < cmd->source_n_rids[i] && g + 1 + k < ENDPOINT_MAX_SOURCES; k++)
            fresh.layers[fresh.n_layers++] = (int8_t)(g + 1 + k);
        source *old = previous_source(ep, &fresh, 0);
        next[n] = old ? *old : fresh;
        if (old)
            kept[old - ep->sources] = true;
        next[n].n_layers = fresh.n_layers;
        memcpy(next[n].layers, fresh.layers, sizeof fresh.layers);
        next[n].paused = cmd->source_paused[i];
        next[n].screen = cmd->source_screen[i];
        next[n].rtx_ssrc = next[n].video ? rtx : 0;
        n++;
        for (int k = 0; k < fresh.n_layers; k++, n++) {
            source layer = { .video = true, .group = (int8_t)g, .layer = (int8_t)k, .clock_rate = 90000,
                             .last_keyframe_request_ms = -1000000 };
            snprintf(layer.rid, sizeof layer.rid, "%s", cmd->source_rids[i][k]);
            old = previous_source(ep, &layer, cmd->ssrcs[i]);
            next[n] = old ? *old : layer;
            if (old)
                kept[old - ep->sources] = true;
            next[n].group = (int8_t)g;
            next[n].layer = (int8_t)k;
            next[n].paused = cmd->source_paused[i];
        }
    }
    for (int i = 0; i < ep->n_sources; i++)
        if (!kept[i])
            source_release(&ep->sources[i]);
    memcpy(ep->sources, next, sizeof next[0] * (size_t)n);
    ep->n_sources = n;
    ep->n_announced = cmd->n_receives;
    if (cmd->n_receives > 0)
        memcpy(ep->announced, cmd->receives, sizeof cmd->receives[0] * (size_t)cmd->n_receives);
    ep->n_layer_rtx = 0;
    for (int i = 0; i < cmd->n_layer_rtx; i++) {
        if (conference_ssrc_user(ep->conf, cmd->layer_rtx[i].ssrc, ep) ||
            conference_ssrc_user(ep->conf, cmd->layer_rtx[i].rtx, ep)) {
            worker_refuse(w, MEDIA_DROP_FOREIGN_SSRC, ep, "a simulcast layer declared under another endpoint's SSRC");
            continue;
        }
        ep->layer_rtx[ep->n_layer_rtx].ssrc = cmd->layer_rtx[i].ssrc;
        ep->layer_rtx[ep->n_layer_rtx].rtx = cmd->layer_rtx[i].rtx;
        ep->n_layer_rtx++;
    }
    /* Layers learned before (a renegotiation) get their declared RTX now. */
    for (int i = 0; i < ep->n_sources; i++) {
        source *layer = &ep->sources[i];
        uint32_t rtx = layer->group >= 0 && layer->bound ? endpoint_declared_layer_rtx(ep, layer->ssrc) : 0;
        if (rtx)
            layer->rtx_ssrc = rtx;
    }
}
