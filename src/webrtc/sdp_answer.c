/* SDP answers from browsers: a hostile-input parser that keeps what the
 * focus needs (ICE credentials, the DTLS fingerprint and role, each m=
 * section's mid, direction, SSRCs and payload types). */
#include "webrtc/sdp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "webrtc/sdp_syntax.h"

int sdp_fingerprint_decode(const char *fingerprint, uint8_t out[32])
{
    static const char alg[] = "sha-256 ";
    if (!fingerprint || !out)
        return -1;
    const char *p = fingerprint;
    for (size_t i = 0; i < sizeof alg - 1; i++, p++) {
        /* A NUL ends the comparison: it never equals a byte of alg. */
        if (lower((unsigned char)*p) != (unsigned char)alg[i])
            return -1;
    }
    uint8_t tmp[32];
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_value((unsigned char)*p);
        if (hi < 0)
            return -1;
        p++;
        int lo = hex_value((unsigned char)*p);
        if (lo < 0)
            return -1;
        p++;
        tmp[i] = (uint8_t)(hi << 4 | lo);
        if (i < 31) {
            if (*p != ':')
                return -1;
            p++;
        }
    }
    if (*p != '\0')
        return -1;
    memcpy(out, tmp, sizeof tmp);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Answer parser                                                       */
/* ------------------------------------------------------------------ */

/* Longest line accepted. Browsers' lines stay well under 300 bytes. */
#define SDP_LINE_MAX 2048

/* DTLS/ICE attributes at one level (session or one m= section). */
typedef struct level_attrs {
    char ufrag[257];
    char pwd[257];
    char fp[128];             /* the first sha-256 fingerprint, normalised */
    char setup[16];
    bool has_ufrag, has_pwd, has_fp_any, has_fp256, has_setup;
} level_attrs;

typedef struct parser {
    sdp_answer *ans;
    char *err;
    size_t err_cap;
    unsigned line_no;
    level_attrs session;
    level_attrs media;        /* of the current section */
    sdp_dir session_dir;
    bool dir_set;             /* the current section has a direction attribute */
    bool in_media;
    bool chosen;              /* credentials taken from a section already */
    level_attrs creds;        /* the ones the answer reports */
} parser;

__attribute__((format(printf, 2, 3)))
static int fail(parser *ps, const char *fmt, ...)
{
    if (ps->err && ps->err_cap > 0) {
        int n = 0;
        if (ps->line_no > 0)
            n = snprintf(ps->err, ps->err_cap, "line %u: ", ps->line_no);
        if (n < 0)
            n = 0;
        if ((size_t)n >= ps->err_cap - 1)
            return -1;          /* no room left after the (cut) prefix */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->err_cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int parse_fingerprint(parser *ps, level_attrs *lv, span v)
{
    v = span_trim(v);
    span alg = span_word(&v);
    span hex = span_trim(v);
    if (alg.n == 0 || hex.n == 0)
        return fail(ps, "malformed a=fingerprint");
    lv->has_fp_any = true;
    static const char sha256[] = "sha-256";
    if (alg.n != sizeof sha256 - 1)
        return 0;
    for (size_t i = 0; i < alg.n; i++)
        if (lower((unsigned char)alg.p[i]) != (unsigned char)sha256[i])
            return 0;           /* another hash: not one Stoa checks */
    if (lv->has_fp256)
        return 0;               /* keep the first sha-256 one */
    /* "sha-256 " + 95 hex/colon bytes: anything longer is malformed. */
    if (hex.n != 32 * 3 - 1)
        return fail(ps, "malformed sha-256 fingerprint");
    char norm[sizeof lv->fp];
    memcpy(norm, "sha-256 ", 8);
    memcpy(norm + 8, hex.p, hex.n);
    norm[8 + hex.n] = '\0';
    uint8_t bytes[32];
    if (sdp_fingerprint_decode(norm, bytes) != 0)
        return fail(ps, "malformed sha-256 fingerprint");
    memcpy(lv->fp, norm, 8 + hex.n + 1);
    lv->has_fp256 = true;
    return 0;
}

static int parse_level_attr(parser *ps, level_attrs *lv, span name, span v, bool *handled)
{
    *handled = true;
    if (span_is(name, "ice-ufrag")) {
        if (!span_all(v, is_ice_char, 4, 256))
            return fail(ps, "bad a=ice-ufrag");
        span_copy(lv->ufrag, sizeof lv->ufrag, v);
        lv->has_ufrag = true;
    } else if (span_is(name, "ice-pwd")) {
        if (!span_all(v, is_ice_char, 22, 256))
            return fail(ps, "bad a=ice-pwd");
        span_copy(lv->pwd, sizeof lv->pwd, v);
        lv->has_pwd = true;
    } else if (span_is(name, "fingerprint")) {
        return parse_fingerprint(ps, lv, v);
    } else if (span_is(name, "setup")) {
        if (!span_is(v, "active") && !span_is(v, "passive") && !span_is(v, "actpass") &&
            !span_is(v, "holdconn"))
            return fail(ps, "bad a=setup");
        span_copy(lv->setup, sizeof lv->setup, v);
        lv->has_setup = true;
    } else {
        *handled = false;
    }
    return 0;
}

static bool parse_dir(span name, sdp_dir *dir)
{
    if (span_is(name, "sendrecv"))
        *dir = SDP_SENDRECV;
    else if (span_is(name, "sendonly"))
        *dir = SDP_SENDONLY;
    else if (span_is(name, "recvonly"))
        *dir = SDP_RECVONLY;
    else if (span_is(name, "inactive"))
        *dir = SDP_INACTIVE;
    else
        return false;
    return true;
}

static bool parse_ssrc_id(span s, uint32_t *out)
{
    uint64_t v;
    if (!span_uint(s, 10, UINT32_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

/* a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576). */
static int parse_ssrc(parser *ps, sdp_answer_media *m, span v)
{
    span id = span_word(&v);
    uint32_t ssrc;
    if (!parse_ssrc_id(id, &ssrc) || v.n < 2 || v.p[0] != ' ')
        return fail(ps, "malformed a=ssrc");
    v.p++;
    v.n--;
    bool seen = false;
    for (size_t i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i] == ssrc)
            seen = true;
    if (!seen) {
        if (m->n_ssrcs == SDP_MAX_SSRCS)
            return fail(ps, "more than %d SSRCs in one section", SDP_MAX_SSRCS);
        m->ssrcs[m->n_ssrcs++] = ssrc;
    }
    static const char cname[] = "cname:";
    if (v.n >= sizeof cname - 1 && memcmp(v.p, cname, sizeof cname - 1) == 0) {
        span c = { v.p + sizeof cname - 1, v.n - (sizeof cname - 1) };
        if (!span_all(c, is_vchar, 1, SDP_ID_MAX - 1))
            return fail(ps, "bad cname");
        if (m->cname[0] == '\0')
            span_copy(m->cname, sizeof m->cname, c);
    }
    return 0;
}

/* a=ssrc-group:<semantics> <ssrc-id> ... (RFC 5576); only FID matters:
 * its first SSRC is a stream, the second that stream's retransmissions. */
static int parse_ssrc_group(parser *ps, sdp_answer_media *m, span v)
{
    span sem = span_word(&v);
    if (sem.n == 0)
        return fail(ps, "malformed a=ssrc-group");
    if (!span_is(sem, "FID"))
        return 0;
    uint32_t first = 0, second = 0, id;
    size_t count = 0;
    for (;;) {
        span w = span_word(&v);
        if (w.n == 0)
            break;
        if (!parse_ssrc_id(w, &id))
            return fail(ps, "malformed a=ssrc-group");
        if (count == 0)
            first = id;
        else if (count == 1)
            second = id;
        count++;
    }
    if (count < 2 || first == second)
        return fail(ps, "malformed a=ssrc-group");
    if (m->n_fids == SDP_MAX_FIDS)
        return fail(ps, "more than %d a=ssrc-group:FID in one section", SDP_MAX_FIDS);
    m->fids[m->n_fids].primary = first;
    m->fids[m->n_fids].repair = second;
    m->n_fids++;
    return 0;
}

/* a=simulcast:<dir> <streams>[ <dir> <streams>] (RFC 8853): streams are
 * ';'-separated, each a ','-separated list of alternative rids, '~' before
 * a paused one. Only the send direction matters in an answer. */
static int parse_simulcast(parser *ps, sdp_answer_media *m, span v)
{
    for (;;) {
        span dir = span_word(&v);
        if (dir.n == 0)
            return 0;
        span list = span_word(&v);
        if (list.n == 0)
            return fail(ps, "malformed a=simulcast");
        if (!span_is(dir, "send"))
            continue;
        m->n_rids = 0;
        size_t i = 0;
        while (i < list.n) {
            size_t end = i;
            while (end < list.n && list.p[end] != ';')
                end++;
            span stream = { list.p + i, end - i };
            const char *comma = stream.n ? memchr(stream.p, ',', stream.n) : NULL;
            if (comma)
                stream.n = (size_t)(comma - stream.p);
            if (stream.n > 0 && stream.p[0] == '~') {
                stream.p++;
                stream.n--;
            }
            if (stream.n == 0 || stream.n >= SDP_RID_MAX)
                return fail(ps, "bad rid in a=simulcast");
            if (m->n_rids == SDP_MAX_RIDS)
                return fail(ps, "more than %d simulcast streams", SDP_MAX_RIDS);
            span_copy(m->rids[m->n_rids], SDP_RID_MAX, stream);
            if (!sdp_rid_ok(m->rids[m->n_rids]))
                return fail(ps, "bad rid in a=simulcast");
            for (size_t k = 0; k < m->n_rids; k++)
                if (strcmp(m->rids[k], m->rids[m->n_rids]) == 0)
                    return fail(ps, "repeated rid in a=simulcast");
            m->n_rids++;
            i = end + 1;
        }
    }
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static int parse_m_line(parser *ps, sdp_answer_media *m, span v)
{
    span media = span_word(&v);
    span port_s = span_word(&v);
    span proto = span_word(&v);
    if (span_is(media, "audio"))
        m->kind = SDP_AUDIO;
    else if (span_is(media, "video"))
        m->kind = SDP_VIDEO;
    else
        return fail(ps, "unsupported media kind (Stoa offers only audio and video)");
    const char *slash = port_s.n ? memchr(port_s.p, '/', port_s.n) : NULL;
    span port_n = port_s;
    if (slash) {
        port_n.n = (size_t)(slash - port_s.p);
        span count = { slash + 1, port_s.n - port_n.n - 1 };
        uint64_t ignored;
        if (!span_uint(count, 5, 65535, &ignored))
            return fail(ps, "malformed m= line port");
    }
    uint64_t port;
    if (!span_uint(port_n, 5, 65535, &port))
        return fail(ps, "malformed m= line port");
    m->rejected = port == 0;
    if (proto.n == 0)
        return fail(ps, "m= line without a protocol");
    if (!m->rejected && !span_is(proto, "UDP/TLS/RTP/SAVPF"))
        return fail(ps, "unsupported m= protocol");
    for (;;) {
        span w = span_word(&v);
        if (w.n == 0)
            break;
        uint64_t pt;
        if (!span_uint(w, 3, 127, &pt))
            return fail(ps, "bad payload type on m= line");
        if (m->n_pts == SDP_MAX_PTS)
            return fail(ps, "more than %d payload types on m= line", SDP_MAX_PTS);
        m->pts[m->n_pts++] = (uint8_t)pt;
    }
    if (m->n_pts == 0)
        return fail(ps, "m= line without payload types");
    return 0;
}

/* Finishes the current section: checks it and takes the transport
 * attributes from the first section in use (the BUNDLE transport). */
static int end_media(parser *ps)
{
    sdp_answer_media *m = &ps->ans->media[ps->ans->n_media - 1];
    if (m->mid[0] == '\0') {
        ps->line_no = 0;
        return fail(ps, "m= section %zu has no a=mid", ps->ans->n_media - 1);
    }
    if (!ps->dir_set)
        m->dir = ps->session_dir;
    if (m->n_fids > 0) {
        m->rtx_ssrc = m->fids[0].repair;
        for (size_t i = 1; i < m->n_ssrcs; i++) {
            if (m->ssrcs[i] == m->fids[0].primary) {
                uint32_t primary = m->ssrcs[i];
                memmove(&m->ssrcs[1], &m->ssrcs[0], i * sizeof m->ssrcs[0]);
                m->ssrcs[0] = primary;
                break;
            }
        }
    }
    if (!m->rejected && !ps->chosen) {
        level_attrs *c = &ps->creds, *s = &ps->session, *md = &ps->media;
        *c = *s;
        if (md->has_ufrag) {
            memcpy(c->ufrag, md->ufrag, sizeof c->ufrag);
            c->has_ufrag = true;
        }
        if (md->has_pwd) {
            memcpy(c->pwd, md->pwd, sizeof c->pwd);
            c->has_pwd = true;
        }
        if (md->has_fp_any) {
            memcpy(c->fp, md->fp, sizeof c->fp);
            c->has_fp_any = true;
            c->has_fp256 = md->has_fp256;
        }
        if (md->has_setup) {
            memcpy(c->setup, md->setup, sizeof c->setup);
            c->has_setup = true;
        }
        ps->chosen = true;
    }
    return 0;
}

static int begin_media(parser *ps, span v)
{
    if (ps->in_media && end_media(ps) != 0)
        return -1;
    if (ps->ans->n_media == SDP_MAX_MEDIA)
        return fail(ps, "more than %d m= sections", SDP_MAX_MEDIA);
    sdp_answer_media *m = &ps->ans->media[ps->ans->n_media++];
    memset(m, 0, sizeof *m);
    memset(&ps->media, 0, sizeof ps->media);
    ps->in_media = true;
    ps->dir_set = false;
    return parse_m_line(ps, m, v);
}

static int parse_attr(parser *ps, span v)
{
    const char *colon = v.n ? memchr(v.p, ':', v.n) : NULL;
    span name = v, value = { v.p + v.n, 0 };
    if (colon) {
        name.n = (size_t)(colon - v.p);
        value.p = colon + 1;
        value.n = v.n - name.n - 1;
    }
    if (name.n == 0)
        return fail(ps, "empty attribute name");

    level_attrs *lv = ps->in_media ? &ps->media : &ps->session;
    bool handled;
    if (parse_level_attr(ps, lv, name, value, &handled) != 0)
        return -1;
    if (handled)
        return 0;

    sdp_dir dir;
    if (!colon && parse_dir(name, &dir)) {
        if (ps->in_media) {
            ps->ans->media[ps->ans->n_media - 1].dir = dir;
            ps->dir_set = true;
        } else {
            ps->session_dir = dir;
        }
        return 0;
    }
    if (!ps->in_media)
        return 0;           /* other session-level attributes: not needed */

    sdp_answer_media *m = &ps->ans->media[ps->ans->n_media - 1];
    if (span_is(name, "mid")) {
        if (!span_all(value, is_token_char, 1, SDP_MID_MAX - 1))
            return fail(ps, "bad a=mid");
        if (m->mid[0] != '\0')
            return fail(ps, "second a=mid in one section");
        for (size_t i = 0; i + 1 < ps->ans->n_media; i++)
            if (span_is(value, ps->ans->media[i].mid))
                return fail(ps, "duplicate a=mid");
        span_copy(m->mid, sizeof m->mid, value);
    } else if (span_is(name, "ssrc")) {
        return parse_ssrc(ps, m, value);
    } else if (span_is(name, "ssrc-group")) {
        return parse_ssrc_group(ps, m, value);
    } else if (span_is(name, "simulcast")) {
        return parse_simulcast(ps, m, value);
    }
    return 0;
}

static int parse_line(parser *ps, span line)
{
    for (size_t i = 0; i < line.n; i++) {
        unsigned char c = (unsigned char)line.p[i];
        if (c < 0x20 || c == 0x7F)
            return fail(ps, "control character in line");
    }
    if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
        return fail(ps, "not a <type>=<value> line");
    span v = { line.p + 2, line.n - 2 };
    if (ps->line_no == 1) {
        if (line.p[0] != 'v' || !span_is(v, "0"))
            return fail(ps, "the first line must be v=0");
        return 0;
    }
    switch (line.p[0]) {
    case 'v':
        return fail(ps, "repeated v= line");
    case 'm':
        return begin_media(ps, v);
    case 'a':
        return parse_attr(ps, v);
    default:
        return 0;           /* o=, s=, t=, c=, b= ...: nothing Stoa needs */
    }
}

int sdp_parse_answer(const char *text, size_t len, sdp_answer *answer, char *err, size_t err_cap)
{
    parser ps;
    memset(&ps, 0, sizeof ps);
    ps.err = err;
    ps.err_cap = err_cap;
    ps.session_dir = SDP_SENDRECV;
    if (err && err_cap > 0)
        err[0] = '\0';
    if (!answer)
        return fail(&ps, "no answer struct");
    memset(answer, 0, sizeof *answer);
    ps.ans = answer;
    if (!text || len == 0)
        return fail(&ps, "empty SDP");
    if (memchr(text, '\0', len))
        return fail(&ps, "NUL byte in SDP");

    size_t pos = 0;
    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        ps.line_no++;
        if (n > 0 && start[n - 1] == '\r')
            n--;
        if (n > SDP_LINE_MAX)
            return fail(&ps, "line longer than %d bytes", SDP_LINE_MAX);
        if (n == 0) {
            if (ps.line_no == 1)
                return fail(&ps, "the first line must be v=0");
            continue;       /* tolerate blank lines, e.g. a trailing one */
        }
        if (parse_line(&ps, (span){ start, n }) != 0)
            return -1;
    }
    ps.line_no = 0;
    if (ps.in_media && end_media(&ps) != 0)
        return -1;
    if (answer->n_media == 0)
        return fail(&ps, "no m= section");
    if (!ps.chosen)
        ps.creds = ps.session;      /* every section rejected */

    level_attrs *c = &ps.creds;
    if (!c->has_ufrag)
        return fail(&ps, "no a=ice-ufrag");
    if (!c->has_pwd)
        return fail(&ps, "no a=ice-pwd");
    if (!c->has_fp256)
        return fail(&ps, c->has_fp_any ? "no sha-256 a=fingerprint" : "no a=fingerprint");
    if (!c->has_setup)
        return fail(&ps, "no a=setup");
    memcpy(answer->ice_ufrag, c->ufrag, sizeof answer->ice_ufrag);
    memcpy(answer->ice_pwd, c->pwd, sizeof answer->ice_pwd);
    memcpy(answer->fingerprint, c->fp, sizeof answer->fingerprint);
    memcpy(answer->setup, c->setup, sizeof answer->setup);
    return 0;
}
