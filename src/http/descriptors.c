/* The process's file descriptor budget, sized from the connection cap. */
#include <sys/resource.h>

#include "core/log.h"
#include "http/server.h"

/* Each connection may hold its socket, a file being served and (for a
 * participant) an ICE-TCP connection at the bridge; the rest is for the
 * bridge's sockets, event descriptors, logs and libraries. */
#define DESCRIPTORS_PER_CONNECTION 3
#define DESCRIPTORS_RESERVED 256

int http_reserve_descriptors(int max_connections)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("http", "cannot read the descriptor limit; keeping --max-connections %d", max_connections);
        return max_connections;
    }
    rlim_t needed = (rlim_t)max_connections * DESCRIPTORS_PER_CONNECTION + DESCRIPTORS_RESERVED;
    rlim_t want = needed;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (want > rl.rlim_cur) {
        struct rlimit raised = { want, rl.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = want;
    }
    if (rl.rlim_cur >= needed) {
        log_info("http", "%llu file descriptors for %d connections", (unsigned long long)rl.rlim_cur, max_connections);
        return max_connections;
    }
    long fit = ((long)rl.rlim_cur - DESCRIPTORS_RESERVED) / DESCRIPTORS_PER_CONNECTION;
    if (fit < 1)
        fit = 1;
    log_warn("http", "only %llu file descriptors (the hard limit; %llu wanted): at most %ld connections instead of %d",
             (unsigned long long)rl.rlim_cur, (unsigned long long)needed, fit, max_connections);
    return (int)fit;
}
