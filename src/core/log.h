/* Leveled logging to stderr. Never called per packet on the media path. */
#ifndef STOA_LOG_H
#define STOA_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the threshold; messages above it are discarded. Default: LOG_INFO. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A budget for one kind of message that an attacker could repeat: at most
 * one line per LOG_LIMIT_INTERVAL_MS, saying how many were held back since
 * the last. Not thread-safe: keep one per thread (e.g. in the worker). */
#define LOG_LIMIT_INTERVAL_MS 10000
typedef struct log_limit {
    long long next_ms;             /* CLOCK_MONOTONIC; 0: never logged */
    unsigned long long held_back;
} log_limit;

void log_limited(log_limit *limit, enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

#endif
