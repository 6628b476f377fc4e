/* A media worker's timers (bridge/worker.h, worker_tick): every 20 ms,
 * per conference the key-frame requests folded meanwhile, the speaker and
 * Last-N; per endpoint transport-cc feedback, consent and DTLS timeouts,
 * layer allocation, probes and receiver reports; relays' subscriptions
 * and layer reports; and the counters the control thread reads. */
#include "bridge/worker.h"

#include <stdatomic.h>
#include <string.h>

#include "bridge/bwe.h"
#include "bridge/probe.h"
#include "bridge/relay.h"
#include "bridge/simulcast.h"
#include "webrtc/twcc.h"

static void send_twcc_feedback(worker *w, endpoint *ep, int64_t now)
{
    if (ep->state != ENDPOINT_CONNECTED || !ep->twcc || now < ep->next_twcc_ms)
        return;
    ep->next_twcc_ms = now + WORKER_TWCC_INTERVAL_MS;
    uint8_t pkt[1200];
    uint32_t media = ep->n_sources > 0 ? ep->sources[0].ssrc : 0;
    for (int i = 0; i < 4 && twcc_recorder_pending(ep->twcc); i++) {
        size_t n = twcc_recorder_build(ep->twcc, ep->bridge_ssrc, media, pkt, sizeof pkt);
        if (n == 0)
            break;
        worker_send_rtcp(w, ep, pkt, n);
        w->counters.twcc_feedback_sent++;
    }
}

static void tick_endpoint(worker *w, endpoint *ep, int64_t now)
{
    if (ep->kind == ENDPOINT_PROXY) {
        /* Its own bridge gets our receiver reports (its RTT to us). */
        if (ep->via && ep->via->has_addr && now >= ep->next_report_ms) {
            conference_send_reports(ep->conf, ep, now);
            ep->next_report_ms = now + WORKER_REPORT_INTERVAL_MS;
        }
        return;
    }
    if (ep->kind == ENDPOINT_RELAY) {
        relay_tick(ep->conf, ep, now);
        send_twcc_feedback(w, ep, now);
        if (ep->has_addr && now >= ep->next_report_ms) {
            conference_send_reports(ep->conf, ep, now);
            ep->next_report_ms = now + WORKER_REPORT_INTERVAL_MS;
        }
        return;
    }
    if (now - ep->last_check_ms > w->consent_timeout_ms) {
        worker_expire_endpoint(w, ep, "consent-timeout");
        return;
    }
    if (ep->dtls && !ep->dtls_done && dtls_conn_timeout_ms(ep->dtls) == 0 &&
        dtls_conn_handle_timeout(ep->dtls) == DTLS_FAILED) {
        worker_expire_endpoint(w, ep, "dtls-failed");
        return;
    }
    send_twcc_feedback(w, ep, now);
    if (ep->state == ENDPOINT_CONNECTED && now >= ep->next_allocation_ms) {
        ep->next_allocation_ms = now + SIMULCAST_ALLOCATE_INTERVAL_MS;
        simulcast_allocate(ep->conf, ep, now);
        if (ep->forwarded_changed) {
            ep->forwarded_changed = false;
            worker_report_forwarded(w, ep);
        }
    }
    if (ep->state == ENDPOINT_CONNECTED && ep->bwe)
        probe_tick(ep, WORKER_TICK_MS, now);
    if (ep->state == ENDPOINT_CONNECTED && now >= ep->next_report_ms) {
        conference_send_reports(ep->conf, ep, now);
        ep->next_report_ms = now + WORKER_REPORT_INTERVAL_MS;
    }
}

void worker_publish_counters(worker *w)
{
    w->counters.relays = 0;
    w->counters.relay_rtt_ms_sum = 0;
    for (int i = 0; i < w->n_relays; i++) {
        if (w->relays[i]->internal)
            continue;
        w->counters.relays++;
        w->counters.relay_rtt_ms_sum += (uint64_t)w->relays[i]->rtt_ms;
    }
    /* The ICE-TCP transport keeps its own: folded in here. */
    w->counters.dropped[MEDIA_DROP_TCP_REFUSED] = w->tcp.refused_connections;
    w->counters.dropped[MEDIA_DROP_OVERSIZE] = w->oversize + w->tcp.oversize_frames;
    uint64_t values[WORKER_COUNTERS];
    memcpy(values, &w->counters, sizeof values);
    for (size_t i = 0; i < WORKER_COUNTERS; i++)
        atomic_store_explicit(&w->published[i], values[i], memory_order_relaxed);
}

void worker_read_counters(worker *w, worker_counters *out)
{
    uint64_t values[WORKER_COUNTERS];
    for (size_t i = 0; i < WORKER_COUNTERS; i++)
        values[i] = atomic_load_explicit(&w->published[i], memory_order_relaxed);
    memcpy(out, values, sizeof values);
}

void worker_tick(worker *w, int64_t now)
{
    w->batch_us = worker_now_us();   /* send times of what the tick sends (probes) */
    worker_publish_counters(w);
    tcp_transport_expire(&w->tcp, now, worker_tcp_closed, w);
    for (conference *c = w->conferences, *next_c; c; c = next_c) {
        next_c = c->next;
        conference_flush_keyframe_requests(c, now);
        endpoint *speaker = conference_tick_speakers(c, now);
        if (speaker)
            worker_emit_event(w, WORKER_EVENT_DOMINANT_SPEAKER, speaker, NULL);
        if (speaker || c->forwarding_dirty) {
            c->forwarding_dirty = false;
            for (endpoint *r = c->endpoints; r; r = r->next)
                if (conference_update_forwarded(c, r, now))
                    worker_report_forwarded(w, r);
        }
        /* tick_endpoint may free the endpoint it is given (and the conference
         * with its last endpoint), so read the next pointer first. */
        for (endpoint *ep = c->endpoints, *next; ep; ep = next) {
            next = ep->next;
            tick_endpoint(w, ep, now);
        }
    }
}
