/* SDP for stoa-load's simulated participants: see sdp_load.h. Line-oriented,
 * lenient about what it does not need, strict about lengths. */
#include "sdp_load.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Copies [s, s+n) into out (cap bytes) when it fits; returns -1 otherwise. */
static int copy_span(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static bool starts(const char *line, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(line, prefix, k) == 0;
}

/* a=candidate:<foundation> <component> <transport> <priority> <ip> <port> typ <type> ... */
/* a=simulcast:recv l;m;h — what the server asks for (the layers' first
 * alternatives, '~' dropped); rids that are not valid are skipped. */
static void parse_simulcast(lsdp_media *m, const char *v, size_t n)
{
    char buf[256];
    if (copy_span(buf, sizeof buf, v, n) < 0 || strncmp(buf, "recv ", 5) != 0)
        return;
    char *list = buf + 5, *end = strchr(list, ' ');
    if (end)
        *end = '\0';
    m->n_rids = 0;
    for (char *save = NULL, *tok = strtok_r(list, ";", &save); tok && m->n_rids < SDP_MAX_RIDS;
         tok = strtok_r(NULL, ";", &save)) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*tok == '~')
            tok++;
        if (sdp_rid_ok(tok))
            snprintf(m->rids[m->n_rids++], SDP_RID_MAX, "%s", tok);
    }
}

static void parse_candidate(lsdp *o, const char *v, size_t n)
{
    char buf[512];
    if (copy_span(buf, sizeof buf, v, n) < 0 || o->n_candidates == SDP_MAX_CANDIDATES)
        return;
    char foundation[64], transport[16], ip[64];
    unsigned component, port;
    unsigned long priority;
    if (sscanf(buf, "%63s %u %15s %lu %63s %u", foundation, &component, transport, &priority, ip, &port) != 6)
        return;
    if (component != 1 || strcasecmp(transport, "udp") != 0 || port == 0 || port > 65535 || strchr(ip, ':'))
        return;
    for (size_t i = 0; i < o->n_candidates; i++)
        if (o->candidates[i].port == port && strcmp(o->candidates[i].ip, ip) == 0)
            return;                      /* the same candidate repeated in each section */
    sdp_candidate *c = &o->candidates[o->n_candidates++];
    memset(c, 0, sizeof *c);
    snprintf(c->ip, sizeof c->ip, "%.63s", ip);
    snprintf(c->foundation, sizeof c->foundation, "%.32s", foundation);
    c->port = (uint16_t)port;
    c->priority = (uint32_t)priority;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] */
static void parse_rtpmap(lsdp_media *m, const char *v, size_t n)
{
    char buf[128];
    if (copy_span(buf, sizeof buf, v, n) < 0)
        return;
    int pt;
    char name[64];
    if (sscanf(buf, "%d %63s", &pt, name) != 2 || pt < 0 || pt > 127)
        return;
    if (strncasecmp(name, "opus/48000", 10) == 0 && m->pt_opus < 0)
        m->pt_opus = pt;
    else if (strncasecmp(name, "VP8/90000", 9) == 0 && m->pt_vp8 < 0)
        m->pt_vp8 = pt;
}

static int parse_m_line(lsdp_media *m, const char *v, size_t n, char *err, size_t err_cap)
{
    char buf[512];
    if (copy_span(buf, sizeof buf, v, n) < 0)
        return fail(err, err_cap, "m= line too long");
    char kind[16], port[16], proto[48];
    int used = 0;
    if (sscanf(buf, "%15s %15s %47s %n", kind, port, proto, &used) != 3)
        return fail(err, err_cap, "malformed m= line");
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if ((*end != '\0' && *end != '/') || p > 65535)
        return fail(err, err_cap, "malformed m= line port");
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    snprintf(m->proto, sizeof m->proto, "%s", proto);
    if (copy_span(m->fmts, sizeof m->fmts, buf + used, strlen(buf + used)) < 0)
        return fail(err, err_cap, "m= line format list too long");
    m->port = (uint16_t)p;
    m->dir = SDP_SENDRECV;
    m->pt_opus = m->pt_vp8 = -1;
    return 0;
}

int lsdp_parse(const char *text, size_t len, lsdp *o, char *err, size_t err_cap)
{
    memset(o, 0, sizeof *o);
    lsdp_media *m = NULL;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line = p;
        size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
        p = eol ? eol + 1 : end;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n < 2 || line[1] != '=')
            continue;
        if (line[0] == 'm') {
            if (o->n_media == LSDP_MAX_MEDIA)
                return fail(err, err_cap, "more than %d m= sections", LSDP_MAX_MEDIA);
            m = &o->media[o->n_media++];
            if (parse_m_line(m, line + 2, n - 2, err, err_cap) < 0)
                return -1;
            continue;
        }
        if (line[0] != 'a')
            continue;
        const char *a = line + 2;
        size_t an = n - 2;
        const char *colon = memchr(a, ':', an);
        size_t name_len = colon ? (size_t)(colon - a) : an;
        const char *v = colon ? colon + 1 : a + an;
        size_t vn = colon ? an - name_len - 1 : 0;
#define IS(lit) (name_len == sizeof(lit) - 1 && memcmp(a, lit, name_len) == 0)
        if (IS("ice-ufrag")) {
            if (!o->ice_ufrag[0] && copy_span(o->ice_ufrag, sizeof o->ice_ufrag, v, vn) < 0)
                return fail(err, err_cap, "ice-ufrag too long");
        } else if (IS("ice-pwd")) {
            if (!o->ice_pwd[0] && copy_span(o->ice_pwd, sizeof o->ice_pwd, v, vn) < 0)
                return fail(err, err_cap, "ice-pwd too long");
        } else if (IS("fingerprint")) {
            if (!o->fingerprint[0] && starts(v, vn, "sha-256 ")) {
                if (copy_span(o->fingerprint, sizeof o->fingerprint, v, vn) < 0)
                    return fail(err, err_cap, "fingerprint too long");
            } else if (!o->fingerprint[0] && starts(v, vn, "SHA-256 ")) {
                if (copy_span(o->fingerprint, sizeof o->fingerprint, v, vn) < 0)
                    return fail(err, err_cap, "fingerprint too long");
                memcpy(o->fingerprint, "sha", 3);
            }
        } else if (IS("setup")) {
            if (!o->setup[0])
                (void)copy_span(o->setup, sizeof o->setup, v, vn);
        } else if (IS("ice-lite")) {
            o->ice_lite = true;
        } else if (IS("candidate")) {
            parse_candidate(o, v, vn);
        } else if (!m) {
            continue;
        } else if (IS("mid")) {
            if (copy_span(m->mid, sizeof m->mid, v, vn) < 0)
                return fail(err, err_cap, "mid too long");
        } else if (IS("sendonly")) {
            m->dir = SDP_SENDONLY;
        } else if (IS("recvonly")) {
            m->dir = SDP_RECVONLY;
        } else if (IS("inactive")) {
            m->dir = SDP_INACTIVE;
        } else if (IS("sendrecv")) {
            m->dir = SDP_SENDRECV;
        } else if (IS("rtpmap")) {
            parse_rtpmap(m, v, vn);
        } else if (IS("ssrc")) {
            char buf[256];
            if (copy_span(buf, sizeof buf, v, vn) == 0) {
                unsigned long ssrc;
                char attr[200];
                int k = sscanf(buf, "%lu %199s", &ssrc, attr);
                if (k >= 1 && !m->ssrc)
                    m->ssrc = (uint32_t)ssrc;
                if (k == 2 && strncmp(attr, "msid:", 5) == 0 && !m->msid_stream[0])
                    snprintf(m->msid_stream, sizeof m->msid_stream, "%.63s", attr + 5);
            }
        } else if (IS("simulcast")) {
            parse_simulcast(m, v, vn);
        } else if (IS("msid")) {
            const char *sp = memchr(v, ' ', vn);
            size_t k = sp ? (size_t)(sp - v) : vn;
            (void)copy_span(m->msid_stream, sizeof m->msid_stream, v, k);
        }
#undef IS
    }
    if (o->n_media == 0)
        return fail(err, err_cap, "no m= section");
    if (!o->ice_ufrag[0] || !o->ice_pwd[0])
        return fail(err, err_cap, "no ICE credentials");
    if (!o->fingerprint[0])
        return fail(err, err_cap, "no sha-256 fingerprint");
    return 0;
}

int lsdp_find_mid(const lsdp *s, const char *mid)
{
    for (size_t i = 0; i < s->n_media; i++)
        if (strcmp(s->media[i].mid, mid) == 0)
            return (int)i;
    return -1;
}

/* A bounded string builder: remembers overflow instead of failing each call. */
typedef struct sbuf {
    char *out;
    size_t cap, len;
    bool overflow;
} sbuf;

__attribute__((format(printf, 2, 3)))
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

static void put_session(sbuf *b, const lsdp_local *l)
{
    put(b, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", l->session_id);
}

static void put_transport(sbuf *b, const lsdp_local *l)
{
    put(b, "c=IN IP4 0.0.0.0\r\n");
    put(b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", l->ufrag, l->pwd);
    put(b, "a=fingerprint:%s\r\na=setup:%s\r\n", l->fingerprint, l->setup);
    if (l->candidate_ip) {
        put(b, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n", l->candidate_ip, l->candidate_port);
        put(b, "a=end-of-candidates\r\n");
    }
    put(b, "a=rtcp-mux\r\n");
}

static void put_send_attrs(sbuf *b, const lsdp_local *l, uint32_t ssrc, const char *track)
{
    put(b, "a=msid:%s %s\r\n", l->stream_id, track);
    put(b, "a=ssrc:%" PRIu32 " cname:%s\r\n", ssrc, l->cname);
    put(b, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", ssrc, l->stream_id, track);
}

int lsdp_write_answer(const lsdp *offer, const enum lsdp_role *roles, const lsdp_local *l, char *out, size_t cap)
{
    sbuf b = { .out = out, .cap = cap };
    if (cap == 0)
        return -1;
    out[0] = '\0';
    put_session(&b, l);
    put(&b, "a=group:BUNDLE");
    bool any = false;
    for (size_t i = 0; i < offer->n_media; i++) {
        const lsdp_media *m = &offer->media[i];
        bool av = strcmp(m->kind, "audio") == 0 || strcmp(m->kind, "video") == 0;
        if (m->port != 0 && av && roles[i] != LSDP_REJECT) {
            put(&b, " %s", m->mid);
            any = true;
        }
    }
    put(&b, "\r\n");
    if (!any) {
        /* Nothing bundled: drop the empty group line. */
        char *g = strstr(out, "a=group:BUNDLE\r\n");
        if (g) {
            memmove(g, g + 16, strlen(g + 16) + 1);
            b.len -= 16;
        }
    }
    put(&b, "a=msid-semantic: WMS %s\r\n", l->stream_id);
    for (size_t i = 0; i < offer->n_media; i++) {
        const lsdp_media *m = &offer->media[i];
        bool audio = strcmp(m->kind, "audio") == 0, video = strcmp(m->kind, "video") == 0;
        enum lsdp_role role = roles[i];
        if (m->port == 0 || !(audio || video))
            role = LSDP_REJECT;
        if ((role == LSDP_SEND_AUDIO && (!audio || !l->audio_ssrc)) ||
            (role == LSDP_SEND_VIDEO && (!video || !l->video_ssrc)))
            role = LSDP_INACTIVE;
        int pt = audio ? m->pt_opus : m->pt_vp8;
        if (pt < 0)
            pt = atoi(m->fmts);           /* first offered format */
        if (role == LSDP_REJECT) {
            put(&b, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->kind, m->proto, m->fmts);
            put(&b, "a=mid:%s\r\na=inactive\r\n", m->mid);
            continue;
        }
        put(&b, "m=%s 9 %s %d\r\n", m->kind, m->proto, pt);
        put_transport(&b, l);
        put(&b, "a=mid:%s\r\n", m->mid);
        if (audio)
            put(&b, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d minptime=10;useinbandfec=1\r\n", pt, pt);
        else
            put(&b, "a=rtpmap:%d VP8/90000\r\na=rtcp-fb:%d nack\r\na=rtcp-fb:%d nack pli\r\n", pt, pt, pt);
        switch (role) {
        case LSDP_SEND_AUDIO:
            put(&b, "a=sendonly\r\n");
            put_send_attrs(&b, l, l->audio_ssrc, "audio");
            break;
        case LSDP_SEND_VIDEO:
            put(&b, "a=sendonly\r\n");
            if (l->simulcast && m->n_rids > 0) {
                /* Layers named by rid, no SSRCs: as Chromium answers. */
                put(&b, "a=msid:%s video\r\n", l->stream_id);
                for (size_t k = 0; k < m->n_rids; k++)
                    put(&b, "a=rid:%s send\r\n", m->rids[k]);
                put(&b, "a=simulcast:send ");
                for (size_t k = 0; k < m->n_rids; k++)
                    put(&b, "%s%s", k ? ";" : "", m->rids[k]);
                put(&b, "\r\n");
            } else {
                put_send_attrs(&b, l, l->video_ssrc, "video");
            }
            break;
        case LSDP_RECVONLY:
            put(&b, "a=recvonly\r\n");
            break;
        default:
            put(&b, "a=inactive\r\n");
            break;
        }
    }
    return b.overflow ? -1 : (int)b.len;
}

int lsdp_write_offer(const lsdp_local *l, bool video, char *out, size_t cap)
{
    sbuf b = { .out = out, .cap = cap };
    if (cap == 0)
        return -1;
    put_session(&b, l);
    put(&b, "a=group:BUNDLE 0%s\r\na=msid-semantic: WMS %s\r\n", video ? " 1" : "", l->stream_id);
    put(&b, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n");
    put_transport(&b, l);
    put(&b, "a=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
    put_send_attrs(&b, l, l->audio_ssrc, "audio");
    if (video) {
        put(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
        put_transport(&b, l);
        put(&b, "a=mid:1\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n");
        put_send_attrs(&b, l, l->video_ssrc, "video");
    }
    return b.overflow ? -1 : (int)b.len;
}
