/* Dominant speaker detection for one conference, from RFC 6464 audio levels.
 *
 * The media path reports one level per received audio packet
 * (speaker_level); a timer calls speaker_tick every 100-300 ms to decide who
 * holds the floor. The detector also keeps the speakers in order of recent
 * speech (speaker_recent), for Last-N selection.
 *
 * How it decides (the three time scales follow the idea of Volfin and Cohen,
 * "Dominant speaker identification for multipoint videoconferencing", 2013):
 *  - each packet is classified active or not against the speaker's own
 *    adaptive noise floor (minimum of its levels over the last ~3 s; the
 *    floor is re-learnt at once when the levels of a whole 150 ms
 *    sub-window stayed within 6 dB, so a steady fan or hum is not speech),
 *    with a margin of 9 dB (13 dB when the V bit is 0);
 *  - packets are grouped into 100 ms blocks; a block's activity is the share
 *    of its packets that were active (a block without packets counts 0, so
 *    DTX and muted senders fade out by themselves);
 *  - at a tick each speaker gets three scores from the completed blocks:
 *    immediate (last 0.2 s), medium (last 0.5 s) and long (last 1 s);
 *  - a challenger takes the floor only when each of its three scores reaches
 *    an absolute minimum (it is talking now, has been mostly talking for
 *    half a second, and has spoken for about half of the last second) and
 *    beats the current dominant speaker on every scale: by a margin on the
 *    short scales, by a ratio on the long one. A short interjection cannot
 *    reach the long-scale minimum; a dominant speaker who falls silent keeps
 *    the floor until someone else qualifies; while two people talk at once
 *    the incumbent keeps it unless it pauses for a while (~0.4 s) and the
 *    other keeps talking; after a change the new dominant speaker holds the
 *    floor for at least 1 s, so it never alternates faster than that.
 * Levels are compared to the speaker's own floor, never to each other, so a
 * loud microphone does not win by gain alone.
 *
 * Contracts:
 *  - Not thread-safe: one detector belongs to the thread that runs its
 *    conference's media (the same thread calls level, tick, add, remove).
 *  - Keys are opaque 32-bit values chosen by the caller (an SSRC, an
 *    endpoint index); every value is allowed.
 *  - Only speaker_detector_new and speaker_add allocate; speaker_level and
 *    speaker_tick never do.
 *  - Times are int64_t milliseconds on one monotonic clock (no wrap in
 *    practice; any base, including 0 or negative values within +-2^62).
 *    Time that steps backwards is tolerated (treated as "now" for the
 *    current block), and a long gap is treated as silence. */
#ifndef STOA_SPEAKER_H
#define STOA_SPEAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct speaker_detector speaker_detector;

/* Diagnostics for one speaker (for logs, stats and tests). */
typedef struct speaker_info {
    int floor_level;        /* current noise floor as an RFC 6464 level
                               (0..127, -dBov), or -1 when not known yet */
    unsigned immediate;     /* scores at the last tick, 0..100 (% active) */
    unsigned medium;
    unsigned longterm;
    int64_t last_spoke_ms;  /* last tick at which it was speaking in a
                               sustained way, or INT64_MIN if never */
} speaker_info;

/* Returns a detector with no speakers and no dominant speaker, or NULL
 * when out of memory. */
speaker_detector *speaker_detector_new(void);
/* Frees the detector; NULL is allowed. */
void speaker_detector_free(speaker_detector *d);

/* Adds a speaker (on join, or when an audio source appears). It goes last
 * in the recent-speakers order and starts with no history.
 * Returns 0 when added, 1 when key was already present (nothing changes),
 * -1 when out of memory. */
int speaker_add(speaker_detector *d, uint32_t key);
/* Removes a speaker (on leave); unknown keys are ignored. If it was the
 * dominant speaker, dominance passes at once to the most recent other
 * speaker that has spoken, or to nobody; the next speaker_tick reports the
 * change. */
void speaker_remove(speaker_detector *d, uint32_t key);
/* Number of speakers. */
size_t speaker_count(const speaker_detector *d);

/* Accounts one audio packet of key: level is the RFC 6464 level (0 loudest,
 * 127 silence; larger values are clamped to 127), voice the V bit. The V
 * bit only makes the packet easier to count as speech (a smaller margin
 * over the noise floor); a false V bit never vetoes clearly loud speech, so
 * senders that leave it at 0 are still detected, and a sender that sets it
 * on steady noise does not win. Unknown keys are ignored. O(1), no
 * allocation: call it for every audio packet. */
void speaker_level(speaker_detector *d, uint32_t key, uint8_t level, bool voice, int64_t now_ms);

/* Re-evaluates the dominant speaker at now_ms; call every 100-300 ms.
 * Returns true when the dominant speaker differs from the one at the
 * previous tick (including a change caused by speaker_remove). When there is
 * a dominant speaker and dominant is not NULL, *dominant receives its key;
 * otherwise *dominant is left untouched (see speaker_dominant). O(number of
 * speakers), no allocation. */
bool speaker_tick(speaker_detector *d, int64_t now_ms, uint32_t *dominant);
/* Returns true and sets *key (when not NULL) if there is a dominant speaker;
 * there is none until someone has spoken, or after every speaker that
 * spoke has left. */
bool speaker_dominant(const speaker_detector *d, uint32_t *key);

/* Copies up to cap keys, most recent speaker first: the dominant speaker,
 * then the others in the order in which they last spoke (sustained speech
 * only, as judged at ticks), then those who never spoke in join order.
 * Returns the number copied (min(cap, speaker_count)). */
size_t speaker_recent(const speaker_detector *d, uint32_t *keys, size_t cap);

/* Fills *out for key; returns false when key is unknown. */
bool speaker_get_info(const speaker_detector *d, uint32_t key, speaker_info *out);

#endif
