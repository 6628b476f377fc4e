/* The connection budget of the HTTP server: at most max_total connections,
 * and at most max_per_address from one source (an IPv4 address, or an IPv6
 * /64, which one host or home usually holds whole). */
#ifndef STOA_CONN_LIMITS_H
#define STOA_CONN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CONN_ADDRESS_MAX 64

typedef struct conn_limits conn_limits;

typedef enum conn_verdict { CONN_ADMITTED, CONN_OVER_TOTAL, CONN_OVER_ADDRESS } conn_verdict;

/* NULL when out of memory. */
conn_limits *conn_limits_new(int max_total, int max_per_address);
void conn_limits_free(conn_limits *l);
/* The key connections from addr are counted under ("192.0.2.7",
 * "2001:db8:1:2::/64"; an IPv4-mapped IPv6 address as IPv4). */
void conn_address_key(const struct sockaddr *addr, char out[CONN_ADDRESS_MAX]);
/* Counts a connection from key when the budget allows it. */
conn_verdict conn_limits_admit(conn_limits *l, const char *key);
/* A connection admitted under key closed. */
void conn_limits_release(conn_limits *l, const char *key);
int conn_limits_total(const conn_limits *l);

#endif
