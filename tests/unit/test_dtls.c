/* DTLS handshakes between two in-memory peers: key agreement, fingerprints,
 * SRTP with the exported keys, lost flights, garbage and close_notify. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/random.h"
#include "webrtc/dtls.h"
#include "webrtc/srtp.h"

#define MAX_DGRAM 1200
#define QUEUE_LEN 64

struct dgram {
    uint8_t data[2048];
    size_t len;
};

/* Datagrams a connection sent, waiting for delivery. */
struct queue {
    struct dgram q[QUEUE_LEN];
    int n;
    int total;      /* datagrams ever sent */
    int oversize;   /* datagrams over MAX_DGRAM */
    int not_records; /* datagrams that are not a sequence of whole DTLS records */
    int overflow;   /* datagrams that did not fit the queue */
};

/* Whether a datagram holds one or more whole DTLS records and nothing else.
 * (OpenSSL buffers a flight and packs records into datagrams up to the MTU;
 * a record never straddles two datagrams.) */
static bool whole_records(const uint8_t *d, size_t len)
{
    size_t off = 0;
    if (len == 0)
        return false;
    while (off < len) {
        if (len - off < 13)
            return false;
        const uint8_t *r = d + off;
        if (r[0] < 20 || r[0] > 23 || r[1] != 0xfe || (r[2] != 0xfd && r[2] != 0xff))
            return false;
        size_t body = (size_t)r[11] << 8 | r[12];
        if (body > len - off - 13)
            return false;
        off += 13 + body;
    }
    return true;
}

static void queue_send(void *user, const uint8_t *data, size_t len)
{
    struct queue *q = user;
    q->total++;
    if (len > MAX_DGRAM)
        q->oversize++;
    if (!whole_records(data, len))
        q->not_records++;
    if (q->n == QUEUE_LEN || len > sizeof(q->q[0].data)) {
        q->overflow++;
        return;
    }
    memcpy(q->q[q->n].data, data, len);
    q->q[q->n].len = len;
    q->n++;
}

struct pair {
    dtls_ctx *sctx, *cctx;
    dtls_conn *s, *c;
    struct queue to_client; /* sent by the server */
    struct queue to_server; /* sent by the client */
    int server_batches, client_batches;
};

static int pair_init(struct pair *p, dtls_ctx *sctx, dtls_ctx *cctx)
{
    memset(p, 0, sizeof(*p));
    p->sctx = sctx;
    p->cctx = cctx;
    p->s = dtls_conn_new(sctx, true, queue_send, &p->to_client);
    p->c = dtls_conn_new(cctx, false, queue_send, &p->to_server);
    return p->s && p->c ? 0 : -1;
}

static void pair_free(struct pair *p)
{
    dtls_conn_free(p->s);
    dtls_conn_free(p->c);
}

/* Delivers what q holds (one batch = what was sent since the last delivery)
 * to conn, unless drop. Returns how many datagrams there were. */
static int deliver(struct queue *q, dtls_conn *conn, bool drop)
{
    int n = q->n;
    if (n == 0)
        return 0;
    /* Delivery can make conn send into the other queue only, but copy
     * anyway so the batch is stable. */
    struct dgram *batch = malloc(sizeof(*batch) * (size_t)n);
    memcpy(batch, q->q, sizeof(*batch) * (size_t)n);
    q->n = 0;
    if (!drop)
        for (int i = 0; i < n; i++)
            dtls_conn_input(conn, batch[i].data, batch[i].len);
    free(batch);
    return n;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool both(const struct pair *p, enum dtls_state st)
{
    return dtls_conn_state(p->s) == st && dtls_conn_state(p->c) == st;
}

static bool any_failed(const struct pair *p)
{
    return dtls_conn_state(p->s) == DTLS_FAILED || dtls_conn_state(p->c) == DTLS_FAILED;
}

/* Runs the handshake until both sides are connected, dropping the server's
 * batch number drop_server and the client's drop_client (-1: none), and
 * firing retransmission timers when nothing is in flight. */
static bool run_handshake(struct pair *p, int drop_server, int drop_client, int max_ms)
{
    long long deadline = now_ms() + max_ms;
    if (dtls_conn_start(p->c) != 0)
        return false;
    while (now_ms() < deadline) {
        int moved = 0;
        if (p->to_server.n > 0) {
            bool drop = p->client_batches == drop_client;
            p->client_batches++;
            moved += deliver(&p->to_server, p->s, drop);
        }
        if (p->to_client.n > 0) {
            bool drop = p->server_batches == drop_server;
            p->server_batches++;
            moved += deliver(&p->to_client, p->c, drop);
        }
        if (any_failed(p))
            return false;
        if (moved > 0)
            continue;
        if (both(p, DTLS_CONNECTED))
            return true;
        /* Nothing in flight: wait for the earliest retransmission timer. */
        int ts = dtls_conn_timeout_ms(p->s), tc = dtls_conn_timeout_ms(p->c);
        int t = ts < 0 ? tc : tc < 0 ? ts : ts < tc ? ts : tc;
        if (t < 0)
            return false; /* stuck: nobody will send anything */
        if (t > 0)
            sleep_ms(t);
        dtls_conn_handle_timeout(p->s);
        dtls_conn_handle_timeout(p->c);
    }
    return false;
}

/* Parses "sha-256 AB:CD:..." into 32 bytes; -1 when malformed. */
static int decode_fingerprint(const char *s, uint8_t out[32])
{
    static const char prefix[] = "sha-256 ";
    if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
        return -1;
    s += sizeof(prefix) - 1;
    for (int i = 0; i < 32; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char ch = *s++;
            if (ch >= '0' && ch <= '9')
                v = v * 16 + (ch - '0');
            else if (ch >= 'A' && ch <= 'F')
                v = v * 16 + (ch - 'A' + 10);
            else
                return -1;
        }
        out[i] = (uint8_t)v;
        if (*s != (i == 31 ? '\0' : ':'))
            return -1;
        s++;
    }
    return 0;
}

static void check_transport_stats(const struct pair *p)
{
    CHECK_EQ_INT(p->to_client.oversize + p->to_server.oversize, 0);
    CHECK_EQ_INT(p->to_client.not_records + p->to_server.not_records, 0);
    CHECK_EQ_INT(p->to_client.overflow + p->to_server.overflow, 0);
    CHECK(p->to_client.total > 0 && p->to_server.total > 0);
}

static void check_fingerprints(const struct pair *p)
{
    uint8_t want[32], got[32];
    CHECK_EQ_INT(decode_fingerprint(dtls_ctx_fingerprint(p->cctx), want), 0);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(p->s, got), 0);
    CHECK_MEM(got, want, 32);
    CHECK_EQ_INT(decode_fingerprint(dtls_ctx_fingerprint(p->sctx), want), 0);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(p->c, got), 0);
    CHECK_MEM(got, want, 32);
}

static void test_fingerprint_format(dtls_ctx *a, dtls_ctx *b)
{
    const char *fa = dtls_ctx_fingerprint(a), *fb = dtls_ctx_fingerprint(b);
    CHECK(fa != NULL && fb != NULL);
    CHECK_EQ_INT(strlen(fa), 8 + 32 * 3 - 1);
    uint8_t raw[32];
    CHECK_EQ_INT(decode_fingerprint(fa, raw), 0);
    CHECK_EQ_INT(decode_fingerprint(fb, raw), 0);
    CHECK(strcmp(fa, fb) != 0); /* fresh key and certificate per context */
    CHECK(dtls_ctx_fingerprint(a) == fa); /* stable, owned by the context */
    /* The decoder itself rejects what it should. */
    CHECK_EQ_INT(decode_fingerprint("sha-1 AB", raw), -1);
    CHECK_EQ_INT(decode_fingerprint("sha-256 ab:cd", raw), -1);
}

/* Before anything happened: no keys, no peer certificate, no timer. */
static void test_fresh(dtls_ctx *sctx, dtls_ctx *cctx)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    uint8_t fp[32];
    stoa_srtp_keys keys;
    CHECK_EQ_INT(dtls_conn_state(p.s), DTLS_HANDSHAKING);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(p.s, fp), -1);
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.s, &keys), -1);
    CHECK_EQ_INT(dtls_conn_timeout_ms(p.s), -1);
    CHECK_EQ_INT(dtls_conn_start(p.s), -1); /* server does not start */
    CHECK_EQ_INT(p.to_client.total, 0);

    CHECK_EQ_INT(dtls_conn_start(p.c), 0);
    CHECK_EQ_INT(p.to_server.n, 1); /* ClientHello */
    int t = dtls_conn_timeout_ms(p.c);
    CHECK(t > 0 && t <= 1000);
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(p.c, fp), -1);
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.c, &keys), -1);
    /* Nothing due yet: no retransmission. */
    CHECK_EQ_INT(dtls_conn_handle_timeout(p.c), DTLS_HANDSHAKING);
    CHECK_EQ_INT(p.to_server.total, 1);
    /* Closing before the handshake finished is a no-op. */
    dtls_conn_close(p.c);
    pair_free(&p);
}

static void test_handshake_and_srtp(dtls_ctx *sctx, dtls_ctx *cctx)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    CHECK(run_handshake(&p, -1, -1, 3000));
    CHECK_EQ_INT(dtls_conn_state(p.s), DTLS_CONNECTED);
    CHECK_EQ_INT(dtls_conn_state(p.c), DTLS_CONNECTED);
    check_transport_stats(&p);
    check_fingerprints(&p);
    CHECK_EQ_INT(dtls_conn_timeout_ms(p.c), -1);

    stoa_srtp_keys ks, kc;
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.s, &ks), 0);
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.c, &kc), 0);
    CHECK_EQ_INT(ks.profile, STOA_SRTP_AEAD_AES_128_GCM);
    CHECK_EQ_INT(kc.profile, STOA_SRTP_AEAD_AES_128_GCM);
    CHECK_EQ_INT(ks.key_len, 16);
    CHECK_EQ_INT(ks.salt_len, 12);
    CHECK_EQ_INT(kc.salt_len, 12);
    CHECK_MEM(ks.local, kc.remote, 28);
    CHECK_MEM(ks.remote, kc.local, 28);
    CHECK(memcmp(ks.local, ks.remote, 28) != 0);

    /* SRTP with the exported keys: client -> server RTP, server -> client RTCP. */
    stoa_srtp ss, sc;
    CHECK_EQ_INT(stoa_srtp_init(&ss, &ks), 0);
    CHECK_EQ_INT(stoa_srtp_init(&sc, &kc), 0);
    uint8_t buf[12 + 200 + STOA_SRTP_MAX_TRAILER], orig[12 + 200];
    orig[0] = 0x80;
    orig[1] = 111;
    orig[2] = 0x12;
    orig[3] = 0x34;
    memset(orig + 4, 0x5a, 4);
    orig[8] = 0xde;
    orig[9] = 0xad;
    orig[10] = 0xbe;
    orig[11] = 0xef;
    for (int i = 12; i < (int)sizeof(orig); i++)
        orig[i] = (uint8_t)i;
    memcpy(buf, orig, sizeof(orig));
    size_t len = sizeof(orig);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&sc, buf, &len, sizeof(buf)), 0);
    CHECK(len > sizeof(orig));
    CHECK(memcmp(buf + 12, orig + 12, 200) != 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&ss, buf, &len), 0);
    CHECK_EQ_INT(len, sizeof(orig));
    CHECK_MEM(buf, orig, sizeof(orig));

    uint8_t rr[8 + STOA_SRTP_MAX_TRAILER] = {0x80, 201, 0, 1, 1, 2, 3, 4};
    uint8_t rr_orig[8];
    memcpy(rr_orig, rr, 8);
    len = 8;
    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&ss, rr, &len, sizeof(rr)), 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&sc, rr, &len), 0);
    CHECK_EQ_INT(len, 8);
    CHECK_MEM(rr, rr_orig, 8);
    stoa_srtp_free(&ss);
    stoa_srtp_free(&sc);

    /* Keys stay available; exporting twice yields the same. */
    stoa_srtp_keys again;
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.s, &again), 0);
    CHECK_MEM(again.local, ks.local, 28);

    /* Garbage after the handshake: an application-data record that does not
     * authenticate is dropped silently. */
    uint8_t junk[100];
    random_bytes(junk, sizeof(junk));
    junk[0] = 23;
    junk[1] = 0xfe;
    junk[2] = 0xfd;
    junk[3] = 0;
    junk[4] = 1; /* epoch 1 */
    junk[11] = 0;
    junk[12] = (uint8_t)(sizeof(junk) - 13);
    CHECK_EQ_INT(dtls_conn_input(p.s, junk, sizeof(junk)), DTLS_CONNECTED);
    for (int i = 0; i < 50; i++) {
        size_t n = 1 + random_u32() % sizeof(junk);
        random_bytes(junk, n);
        enum dtls_state st = dtls_conn_input(p.c, junk, n);
        CHECK(st == DTLS_CONNECTED || st == DTLS_FAILED);
    }
    pair_free(&p);
}

/* The server's first flight is lost: the client's timer resends the
 * ClientHello (or the server's timer its flight). */
static void test_lost_first_flight(dtls_ctx *sctx, dtls_ctx *cctx)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    long long t0 = now_ms();
    CHECK(run_handshake(&p, 0, -1, 4000));
    long long took = now_ms() - t0;
    CHECK(took >= 500); /* it really waited for a timer */
    CHECK(p.server_batches >= 2);
    CHECK(both(&p, DTLS_CONNECTED));
    check_transport_stats(&p);
    check_fingerprints(&p);
    stoa_srtp_keys ks, kc;
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.s, &ks), 0);
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.c, &kc), 0);
    CHECK_MEM(ks.local, kc.remote, 28);
    CHECK_MEM(ks.remote, kc.local, 28);
    pair_free(&p);
}

/* The server's final flight (ChangeCipherSpec, Finished) is lost: the server
 * already counts as connected, the client resends its last flight and the
 * server, reading as a connected peer, answers it again. */
static void test_lost_last_flight(dtls_ctx *sctx, dtls_ctx *cctx)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    CHECK(run_handshake(&p, 1, -1, 4000));
    CHECK(both(&p, DTLS_CONNECTED));
    CHECK(p.server_batches >= 3);
    check_transport_stats(&p);
    stoa_srtp_keys ks, kc;
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.s, &ks), 0);
    CHECK_EQ_INT(dtls_conn_srtp_keys(p.c, &kc), 0);
    CHECK_MEM(ks.local, kc.remote, 28);
    pair_free(&p);
}

static void test_garbage(dtls_ctx *sctx, dtls_ctx *cctx)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    uint8_t junk[1500];
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        size_t n = 1 + random_u32() % sizeof(junk);
        random_bytes(junk, n);
        if (i % 2 == 0 && n > 30) {
            /* Looks like a handshake record (epoch 0) carrying a broken
             * ClientHello. */
            junk[0] = 22;
            junk[1] = 0xfe;
            junk[2] = 0xfd;
            junk[3] = 0;
            junk[4] = 0;
            junk[11] = (uint8_t)((n - 13) >> 8);
            junk[12] = (uint8_t)(n - 13);
            junk[13] = 1;
        }
        enum dtls_state st = dtls_conn_input(p.s, junk, n);
        if (st != DTLS_HANDSHAKING && st != DTLS_FAILED)
            bad++;
        if (st == DTLS_FAILED)
            break;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(p.to_client.oversize, 0);
    /* Empty input changes nothing. */
    enum dtls_state st = dtls_conn_state(p.s);
    CHECK_EQ_INT(dtls_conn_input(p.s, junk, 0), st);

    /* A client that got garbage instead of the server's flight. */
    CHECK_EQ_INT(dtls_conn_start(p.c), 0);
    for (int i = 0; i < 50; i++) {
        size_t n = 1 + random_u32() % 300;
        random_bytes(junk, n);
        st = dtls_conn_input(p.c, junk, n);
        if (st != DTLS_HANDSHAKING && st != DTLS_FAILED)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    uint8_t fp[32];
    CHECK_EQ_INT(dtls_conn_peer_fingerprint(p.c, fp), -1);
    pair_free(&p);
}

/* close_notify reaches the peer; the connection may outlive its context. */
static void test_close(void)
{
    dtls_ctx *sctx = dtls_ctx_new(), *cctx = dtls_ctx_new();
    CHECK(sctx != NULL && cctx != NULL);
    if (!sctx || !cctx) {
        dtls_ctx_free(sctx);
        dtls_ctx_free(cctx);
        return;
    }
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, sctx, cctx), 0);
    dtls_ctx_free(sctx);
    CHECK(run_handshake(&p, -1, -1, 3000));
    CHECK(both(&p, DTLS_CONNECTED));
    int before = p.to_server.total;
    dtls_conn_close(p.c);
    dtls_conn_close(p.c); /* once only */
    CHECK_EQ_INT(p.to_server.total, before + 1);
    CHECK_EQ_INT(deliver(&p.to_server, p.s, false), 1);
    CHECK_EQ_INT(dtls_conn_state(p.s), DTLS_CLOSED);
    /* Further input is ignored. */
    uint8_t junk[20] = {0};
    CHECK_EQ_INT(dtls_conn_input(p.s, junk, sizeof(junk)), DTLS_CLOSED);
    dtls_conn_close(p.s);
    pair_free(&p);
    dtls_ctx_free(cctx);
}

/* Connections of shared contexts driven from several threads at once. */
struct thread_arg {
    dtls_ctx *sctx, *cctx;
    int ok;
};

static void *thread_main(void *argp)
{
    struct thread_arg *arg = argp;
    for (int i = 0; i < 4; i++) {
        struct pair *p = malloc(sizeof(*p));
        if (pair_init(p, arg->sctx, arg->cctx) == 0 && run_handshake(p, -1, -1, 5000)) {
            stoa_srtp_keys ks, kc;
            if (dtls_conn_srtp_keys(p->s, &ks) == 0 && dtls_conn_srtp_keys(p->c, &kc) == 0 &&
                memcmp(ks.local, kc.remote, 28) == 0 && memcmp(ks.remote, kc.local, 28) == 0)
                arg->ok++;
        }
        pair_free(p);
        free(p);
    }
    return NULL;
}

static void test_threads(dtls_ctx *sctx, dtls_ctx *cctx)
{
    enum { THREADS = 4 };
    pthread_t th[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){sctx, cctx, 0};
        CHECK_EQ_INT(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
    }
    CHECK_EQ_INT(ok, THREADS * 4);
}

int main(void)
{
    CHECK_EQ_INT(stoa_srtp_global_init(), 0);
    dtls_ctx *sctx = dtls_ctx_new();
    dtls_ctx *cctx = dtls_ctx_new();
    CHECK(sctx != NULL);
    CHECK(cctx != NULL);
    if (!sctx || !cctx)
        return check_report("dtls");

    test_fingerprint_format(sctx, cctx);
    test_fresh(sctx, cctx);
    test_handshake_and_srtp(sctx, cctx);
    test_lost_first_flight(sctx, cctx);
    test_lost_last_flight(sctx, cctx);
    test_garbage(sctx, cctx);
    test_close();
    test_threads(sctx, cctx);

    dtls_ctx_free(sctx);
    dtls_ctx_free(cctx);
    return check_report("dtls");
}
