/* What a well-behaved newcomer from another address does while an attack
 * runs: load the page, open the signalling WebSocket and join. Plain
 * sockets with deadlines, so a server that stalls shows as a failed probe
 * rather than a hung test. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostile.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int probe_connect(const char *src_ip, const char *host, int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if ((src_ip && (inet_pton(AF_INET, src_ip, &src.sin_addr) != 1 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0)) ||
        inet_pton(AF_INET, host, &dst.sin_addr) != 1) {
        close(fd);
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *data, size_t len, int64_t deadline)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = send(fd, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return false;
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int left = (int)(deadline - now_ms());
        if (left <= 0 || poll(&p, 1, left) != 1)
            return false;
    }
    return true;
}

/* Reads until needle appears in what arrived (or the deadline, or EOF). */
static bool read_until(int fd, const char *needle, char *buf, size_t cap, int64_t deadline)
{
    size_t len = 0;
    for (;;) {
        int left = (int)(deadline - now_ms());
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (left <= 0 || poll(&p, 1, left) != 1)
            return false;
        if (len + 1 >= cap)                 /* keep the tail: the needle may come late */
            len = 0;
        ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n <= 0)
            return false;
        for (ssize_t i = 0; i < n; i++)     /* frames may hold NUL bytes: make them searchable */
            if (buf[len + (size_t)i] == '\0')
                buf[len + (size_t)i] = ' ';
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, needle))
            return true;
    }
}

int probe_http_get(const char *src_ip, const char *host, int port, int timeout_ms)
{
    int64_t start = now_ms(), deadline = start + timeout_ms;
    int fd = probe_connect(src_ip, host, port, timeout_ms);
    if (fd < 0)
        return -1;
    char req[256], buf[8192];
    int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", host, port);
    bool ok = send_all(fd, req, (size_t)n, deadline) && read_until(fd, "\r\n\r\n", buf, sizeof buf, deadline) &&
              strncmp(buf, "HTTP/1.1 200", 12) == 0;
    close(fd);
    return ok ? (int)(now_ms() - start) : -1;
}

/* One masked text frame (RFC 6455 5.2) of a short message. */
static size_t ws_frame(uint8_t *out, const char *text)
{
    size_t len = strlen(text);
    const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
    out[0] = 0x81;
    out[1] = (uint8_t)(0x80 | len);     /* len < 126 */
    memcpy(out + 2, mask, 4);
    for (size_t i = 0; i < len; i++)
        out[6 + i] = (uint8_t)text[i] ^ mask[i % 4];
    return 6 + len;
}

int probe_ws_join(const char *src_ip, const char *host, int port, int timeout_ms)
{
    int64_t start = now_ms(), deadline = start + timeout_ms;
    int fd = probe_connect(src_ip, host, port, timeout_ms);
    if (fd < 0)
        return -1;
    char req[512], buf[16384], join[100];
    uint8_t frame[128];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: stoa\r\n\r\n", host, port);
    snprintf(join, sizeof join, "{\"type\":\"join\",\"room\":\"probe-%d\",\"name\":\"probe\"}", (int)getpid());
    bool ok = send_all(fd, req, (size_t)n, deadline) && read_until(fd, "\r\n\r\n", buf, sizeof buf, deadline) &&
              strncmp(buf, "HTTP/1.1 101", 12) == 0 &&
              send_all(fd, (const char *)frame, ws_frame(frame, join), deadline) &&
              read_until(fd, "\"joined\"", buf, sizeof buf, deadline);
    close(fd);
    return ok ? (int)(now_ms() - start) : -1;
}
