/* Per-stream cache of recently forwarded RTP packets, for answering NACKs
 * (RFC 4585 6.2.1) with retransmissions (RFC 4588).
 *
 * A ring of fixed slots indexed by sequence number modulo the capacity. All
 * memory is allocated once by packet_cache_new; storing and looking up never
 * allocate and take constant time. Each slot remembers the 16-bit sequence
 * number extended with a wrap count (as in RFC 3550 A.1), so a lookup can
 * never return a packet from an earlier wrap of the sequence space, nor one
 * whose slot has since been reused by a newer packet.
 *
 * Not thread-safe: one cache belongs to one media worker, like the stream it
 * serves. */
#ifndef STOA_PACKET_CACHE_H
#define STOA_PACKET_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Largest packet a slot holds, in bytes. Longer packets are refused. */
#define PACKET_CACHE_MAX_PACKET 1500
/* Largest capacity: half the sequence space, so that every cached packet is
 * unambiguously "behind" the newest one. */
#define PACKET_CACHE_MAX_CAPACITY 32768
/* max_age_ms value for packet_cache_get meaning "no age limit". */
#define PACKET_CACHE_NO_AGE_LIMIT (-1)

typedef struct packet_cache packet_cache;

/* Creates an empty cache of capacity slots of PACKET_CACHE_MAX_PACKET bytes.
 * capacity must be a power of two in 1..PACKET_CACHE_MAX_CAPACITY.
 * Returns NULL when capacity is invalid or memory is short. The caller owns
 * the cache and frees it with packet_cache_free. */
packet_cache *packet_cache_new(size_t capacity);

/* Frees the cache. NULL is accepted and ignored. Pointers returned by
 * packet_cache_get become invalid. */
void packet_cache_free(packet_cache *c);

/* Bytes packet_cache_new allocates for this capacity (to size memory
 * budgets), or 0 when the capacity is invalid. */
size_t packet_cache_bytes(size_t capacity);

/* The capacity given to packet_cache_new. */
size_t packet_cache_capacity(const packet_cache *c);

/* Copies the packet pkt[0..len) into the slot for seq, stamped with now_ms
 * (any monotonic millisecond clock, the same one passed to packet_cache_get).
 *
 * The first packet stored fixes the reference; later sequence numbers are
 * placed relative to the newest one stored, the nearest way round the 16-bit
 * space. A packet older than the newest by capacity or more is refused: it
 * would evict a newer packet. Two refused packets in a row with consecutive
 * sequence numbers are taken as a restart of the stream (a sender jumping
 * to a new sequence range): the cache is cleared and the second one stored.
 * A duplicate of a cached sequence number replaces the cached packet.
 *
 * Returns 0 when stored, -1 when refused: c or pkt NULL, len 0,
 * len > PACKET_CACHE_MAX_PACKET, or too old (as above). A refused packet
 * leaves the cached packets untouched. pkt is not retained. */
int packet_cache_store(packet_cache *c, uint16_t seq, const uint8_t *pkt, size_t len,
                       int64_t now_ms);

/* Looks up the packet with sequence number seq.
 *
 * Returns a pointer to the cached bytes and sets *len, or NULL (leaving *len
 * alone) when it is not cached: never stored, overwritten by a newer packet
 * in its slot, older than the capacity window, from an earlier wrap of the
 * sequence space, or older than max_age_ms (now_ms - stored_ms > max_age_ms;
 * PACKET_CACHE_NO_AGE_LIMIT, or any negative value, disables the check).
 * A packet stamped later than now_ms counts as age 0.
 *
 * The pointer belongs to the cache and stays valid, and unchanged, until
 * the next packet_cache_store, packet_cache_clear or packet_cache_free on
 * this cache: copy the packet out (e.g. with rtx_build) before storing
 * another. len may be NULL. */
const uint8_t *packet_cache_get(const packet_cache *c, uint16_t seq, int64_t now_ms,
                                int64_t max_age_ms, size_t *len);

/* Forgets every packet and the sequence reference (e.g. when the stream's
 * SSRC changes); the next store starts afresh. Keeps the memory. */
void packet_cache_clear(packet_cache *c);

#endif
