/* Leveled logging to stderr with a UTC timestamp and the module name. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level threshold = LOG_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level) { threshold = level; }

int log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

static void log_line(enum log_level level, const char *module, const char *suffix, const char *fmt, va_list ap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[1024];
    int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %-5s %-8s ", tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], module);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    /* One fprintf per line keeps lines from different threads whole. */
    fprintf(stderr, "%s%s\n", line, suffix);
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    if (level > threshold)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, module, "", fmt, ap);
    va_end(ap);
}

void log_limited(log_limit *limit, enum log_level level, const char *module, const char *fmt, ...)
{
    if (level > threshold)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (limit->next_ms != 0 && now < limit->next_ms) {
        limit->held_back++;
        return;
    }
    char suffix[64] = "";
    if (limit->held_back > 0)
        snprintf(suffix, sizeof suffix, " (and %llu more like it since the last)", limit->held_back);
    limit->held_back = 0;
    limit->next_ms = now + LOG_LIMIT_INTERVAL_MS;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, module, suffix, fmt, ap);
    va_end(ap);
}
