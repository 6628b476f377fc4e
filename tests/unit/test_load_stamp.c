/* Unit tests of stoa-load's payload stamps (tools/load/stamp.c). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "stamp.h"

static void test_roundtrip(void)
{
    load_stamp s = { .publisher = 0xA1B2C3D4u, .stream = STAMP_VIDEO, .seq = 0xFFFFFFFFu,
                     .send_ns = 0x0123456789ABCDEFull }, r;
    uint8_t buf[64];
    CHECK_EQ_INT(stamp_write(buf, sizeof buf, &s), STAMP_SIZE);
    CHECK_EQ_INT(stamp_write(buf, STAMP_SIZE - 1, &s), 0);
    CHECK_EQ_INT(stamp_read(buf, STAMP_SIZE, &r), 0);
    CHECK_EQ_INT(r.publisher, s.publisher);
    CHECK_EQ_INT(r.stream, s.stream);
    CHECK_EQ_INT(r.seq, s.seq);
    CHECK(r.send_ns == s.send_ns);
    /* Big-endian on the wire, magic first. */
    static const uint8_t head[] = { 'S', 'L', 'D', '1', 0xA1, 0xB2, 0xC3, 0xD4, 1 };
    CHECK_MEM(buf, head, sizeof head);
    CHECK_EQ_INT(stamp_read(buf, STAMP_SIZE - 1, &r), -1);
    buf[0] ^= 1;
    CHECK_EQ_INT(stamp_read(buf, STAMP_SIZE, &r), -1);
}

static void test_audio_payload(void)
{
    load_stamp s = { .publisher = 7, .stream = STAMP_AUDIO, .seq = 42, .send_ns = 1000 }, r;
    uint8_t buf[200];
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, false, 160), 160);
    CHECK_EQ_INT(stamp_find(buf, 160, false, &r), 0);
    CHECK_EQ_INT(r.publisher, 7);
    CHECK_EQ_INT(r.seq, 42);
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, false, STAMP_SIZE - 1), 0);
    CHECK_EQ_INT(stamp_payload(buf, 100, &s, false, 160), 0);
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, false, STAMP_SIZE), STAMP_SIZE);
}

static void test_video_payload(void)
{
    load_stamp s = { .publisher = 3, .stream = STAMP_VIDEO, .seq = 9, .send_ns = 55 }, r;
    uint8_t buf[1200];
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, true, 1100), 1100);
    CHECK_EQ_INT(buf[0], 0x10);                 /* S bit, partition 0 */
    CHECK_EQ_INT(stamp_find(buf, 1100, true, &r), 0);
    CHECK_EQ_INT(r.seq, 9);
    CHECK_EQ_INT(r.stream, STAMP_VIDEO);
    CHECK(r.send_ns == 55);
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, false, 1100), 1100);
    CHECK_EQ_INT(buf[0], 0x00);
    CHECK_EQ_INT(stamp_find(buf, 1100, true, &r), 0);
    /* Read as audio, the descriptor byte is in the way. */
    CHECK_EQ_INT(stamp_find(buf, 1100, false, &r), -1);
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, true, STAMP_SIZE), 0);   /* no room for the descriptor */

    /* The first packet of a key frame: descriptor, VP8 key frame header
     * (frame tag with P = 0, start code, 16:9 width and the height), then
     * the stamp, which stamp_find still finds. */
    s.stream = STAMP_VIDEO + 2;
    CHECK_EQ_INT(stamp_payload_key(buf, sizeof buf, &s, 720, 1100), 1100);
    CHECK_EQ_INT(buf[0], 0x10);
    CHECK_EQ_INT(buf[1] & 1, 0);
    CHECK(buf[4] == 0x9d && buf[5] == 0x01 && buf[6] == 0x2a);
    CHECK_EQ_INT(buf[7] | buf[8] << 8, 1280);
    CHECK_EQ_INT(buf[9] | buf[10] << 8, 720);
    CHECK_EQ_INT(stamp_find(buf, 1100, true, &r), 0);
    CHECK_EQ_INT(r.stream, STAMP_VIDEO + 2);
    CHECK_EQ_INT(r.seq, 9);
    CHECK_EQ_INT(stamp_payload_key(buf, sizeof buf, &s, 720, 1 + STAMP_VP8_KEY_HEADER + STAMP_SIZE - 1), 0);
    CHECK_EQ_INT(stamp_payload_key(buf, sizeof buf, &s, 0, 1100), 0);
    /* An inter frame start: the stamp's magic is the frame tag (P = 1). */
    CHECK_EQ_INT(stamp_payload(buf, sizeof buf, &s, true, 1100), 1100);
    CHECK_EQ_INT(buf[1] & 1, 1);
    s.stream = STAMP_VIDEO;

    /* A descriptor with extensions (X, I with a 15-bit picture id, L, T/K)
     * as other senders write it. */
    uint8_t ext[64] = { 0x90, 0xF0, 0x80 | 0x12, 0x34, 0x05, 0x20 };
    CHECK_EQ_INT(stamp_write(ext + 6, sizeof ext - 6, &s), STAMP_SIZE);
    CHECK_EQ_INT(stamp_find(ext, 6 + STAMP_SIZE, true, &r), 0);
    CHECK_EQ_INT(r.publisher, 3);
    /* 7-bit picture id only. */
    uint8_t ext7[64] = { 0x90, 0x80, 0x12 };
    CHECK_EQ_INT(stamp_write(ext7 + 3, sizeof ext7 - 3, &s), STAMP_SIZE);
    CHECK_EQ_INT(stamp_find(ext7, 3 + STAMP_SIZE, true, &r), 0);
    /* Truncated descriptors are refused, never overrun. */
    CHECK_EQ_INT(stamp_find(ext, 1, true, &r), -1);
    CHECK_EQ_INT(stamp_find(ext, 3, true, &r), -1);
    CHECK_EQ_INT(stamp_find(ext, 0, true, &r), -1);
}

int main(void)
{
    test_roundtrip();
    test_audio_payload();
    test_video_payload();
    return check_report("load_stamp");
}
