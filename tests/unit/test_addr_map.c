/* Tests for the peer-address hash map: IPv4/IPv6, replace, remove, growth
 * and tombstone reuse. */
#include "check.h"
#include "bridge/addr_map.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

static struct sockaddr_in v4(uint32_t ip, uint16_t port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(ip);
    return a;
}

int main(void)
{
    addr_map m;
    addr_map_init(&m);
    struct sockaddr_in a = v4(0x7F000001, 5000), b = v4(0x7F000001, 5001);
    CHECK(addr_map_get(&m, (struct sockaddr *)&a) == NULL);
    CHECK_EQ_INT(addr_map_put(&m, (struct sockaddr *)&a, (void *)1), 0);
    CHECK_EQ_INT(addr_map_put(&m, (struct sockaddr *)&b, (void *)2), 0);
    CHECK(addr_map_get(&m, (struct sockaddr *)&a) == (void *)1);
    CHECK(addr_map_get(&m, (struct sockaddr *)&b) == (void *)2);
    CHECK_EQ_INT(addr_map_put(&m, (struct sockaddr *)&a, (void *)3), 0);
    CHECK(addr_map_get(&m, (struct sockaddr *)&a) == (void *)3);
    CHECK_EQ_INT(m.live, 2);

    struct sockaddr_in6 c = { .sin6_family = AF_INET6, .sin6_port = htons(5000) };
    inet_pton(AF_INET6, "::1", &c.sin6_addr);
    CHECK(addr_map_get(&m, (struct sockaddr *)&c) == NULL);
    CHECK_EQ_INT(addr_map_put(&m, (struct sockaddr *)&c, (void *)4), 0);
    CHECK(addr_map_get(&m, (struct sockaddr *)&c) == (void *)4);
    CHECK(addr_map_get(&m, (struct sockaddr *)&a) == (void *)3);

    CHECK(addr_map_remove(&m, (struct sockaddr *)&a));
    CHECK(!addr_map_remove(&m, (struct sockaddr *)&a));
    CHECK(addr_map_get(&m, (struct sockaddr *)&a) == NULL);
    CHECK(addr_map_get(&m, (struct sockaddr *)&b) == (void *)2);

    struct sockaddr un = { .sa_family = AF_UNIX };
    CHECK_EQ_INT(addr_map_put(&m, &un, (void *)5), -1);

    /* Many entries with churn: everything present stays findable. */
    int all_found = 1;
    for (uint32_t round = 0; round < 4; round++) {
        for (uint32_t i = 0; i < 5000; i++) {
            struct sockaddr_in x = v4(0x7F000000 + i, (uint16_t)(10000 + round));
            addr_map_put(&m, (struct sockaddr *)&x, (void *)(uintptr_t)(i + 10));
        }
        for (uint32_t i = 0; i < 5000; i++) {
            struct sockaddr_in x = v4(0x7F000000 + i, (uint16_t)(10000 + round));
            if (addr_map_get(&m, (struct sockaddr *)&x) != (void *)(uintptr_t)(i + 10))
                all_found = 0;
            if (i % 2 == 0)
                addr_map_remove(&m, (struct sockaddr *)&x);
        }
    }
    CHECK(all_found);
    CHECK_EQ_INT(m.live, 2 + 4 * 2500);
    CHECK(m.used < m.cap);
    addr_map_free(&m);
    return check_report("addr_map");
}
