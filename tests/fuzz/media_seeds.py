#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_media (tests/fixtures/media/): small
sessions, none of which crashes, that between them use every op of the
input format described at the top of tests/fuzz/fuzz_media.c.

    tests/fuzz/media_seeds.py [out_dir]
"""
import os
import sys

# ops
RTP, RTCP, STUN, TICK, FLUSH, CONTROL, ALL, RAW = range(8)
# RTP streams
AUDIO, CAM, SCREEN, L0, L1, L2, CAM1, RANDOM = range(8)
# RTP flags
MARKER, KEY, MID, RID, TWCC, LEVEL, PAD, RTX = (1 << b for b in range(8))
# RTP flags2
VIA_TCP, H264, VOICE, TSJUMP = 1, 2, 4, 8
# STUN flags
BAD_PWD, UNKNOWN, USE_CAND, STUN_TCP, CORRUPT, OTHER = 1, 2, 4, 8, 16, 32
# RTCP target streams (see target_ssrc)
T_AUDIO, T_CAM, T_CAM_RTX, T_SCREEN, T_GROUP0, T_GROUP1, T_LAYER, T_BRIDGE = range(8)


ALL_SIM = 0xFF   # every endpoint sends simulcast


def header(n, sim=0, f=0):
    b = n - 1 if n <= 6 else 0xC0 + n - 1
    return bytes([b, sim, f])


def rtp(ep, stream, flags=MID, flags2=0, seqdelta=0, count=1, length=100, fill=0, ssrc=None):
    out = bytes([RTP, ep, stream, flags, flags2, seqdelta & 0xFF, count - 1,
                 length >> 8, length & 0xFF, fill])
    if stream == RANDOM:
        out += (ssrc or 0xDEADBEEF).to_bytes(4, 'big')
    return out


def rtcp(ep, *parts, tcp=False):
    return bytes([RTCP, ep, 1 if tcp else 0, len(parts) - 1]) + b''.join(parts)


def sr(stream=AUDIO, blocks=()):
    out = bytes([0, stream, 1, 0x80, 0x00, 10, len(blocks)])
    for (t, s) in blocks:
        out += bytes([t, s, 2])
    return out


def rr(blocks):
    return bytes([1, len(blocks)]) + b''.join(bytes([t, s, 10, 1]) for (t, s) in blocks)


def pli(t, s): return bytes([2, t, s])
def fir(t, s, seq=1): return bytes([3, t, s, seq])
def nack(t, s, back=1, n=3): return bytes([4, t, s, back, n - 1])
def twcc(count=20, lost=0, step=8, t=0, s=T_AUDIO): return bytes([5, count - 1, lost, step, t, s])
def remb(t=0, s=T_CAM, rate=500): return bytes([6, t, s, t, s, rate >> 8, rate & 0xFF])
def bye(t, s=T_AUDIO): return bytes([7, t, s])
def sdes(): return bytes([8])
def rtcp_raw(words, data): return bytes([9, words]) + data


def stun(ep, flags=USE_CAND, path=0, off=0, xor=0):
    out = bytes([STUN, ep, flags, path])
    if flags & CORRUPT:
        out += bytes([off, xor])
    return out


def tick(k=0): return bytes([TICK, k])
def jump(quarter_seconds): return bytes([TICK, 0x80 | quarter_seconds])
def flush(): return bytes([FLUSH])
def leave(ep): return bytes([CONTROL, ep, 0, 0])
def join(ep, connect=True): return bytes([CONTROL, ep, 1, 1 if connect else 0])
def reconfigure(ep, arg): return bytes([CONTROL, ep, 2, arg])
def pause(ep, which, paused=True): return bytes([CONTROL, ep, 3, (which << 1) | (1 if paused else 0)])
def constraints(ep, last_n, n_views=0, sel=0, views=0):
    return bytes([CONTROL, ep, 4, (n_views << 4) | (last_n + 1), sel, views])
def connect(ep): return bytes([CONTROL, ep, 5, 0])
def everyone(f): return bytes([ALL, f])
def raw(ep, data, tcp=False, path=0): return bytes([RAW, ep, (path << 1) | (1 if tcp else 0), len(data)]) + data


SEEDS = {
    'audio': header(3) + rtp(0, AUDIO, MID | LEVEL | TWCC, VOICE | 0x30, count=5, length=60)
             + tick(4) + rtp(1, AUDIO, LEVEL, 0x10, count=3) + tick(10)
             + rtcp(1, rr([(0, T_AUDIO)]), sdes()) + rtcp(0, sr(AUDIO), sdes()) + tick(20),
    'video_nack': header(3, 0, 0) + rtp(0, CAM, MID | KEY | MARKER, count=3, length=900)
                  + rtp(0, CAM, MID, seqdelta=4, count=2, length=800)
                  + rtcp(1, nack(0, T_CAM, back=2, n=4)) + rtcp(2, pli(0, T_CAM), fir(0, T_CAM))
                  + rtp(0, CAM, MID | RTX, count=2, length=800, fill=2) + flush() + tick(2),
    'simulcast': header(3, 2, 0) + everyone(0x0B) + tick(1) + everyone(0x0A) + tick(12)
                 + rtp(0, L2, MID | RID | KEY, count=4, length=1000) + rtp(0, L0, MID | RID, count=4)
                 + rtcp(2, pli(0, T_GROUP0), nack(0, T_GROUP0, back=1, n=2))
                 + rtcp(0, sr(L1)) + rtp(1, L1, MID | RID | RTX, count=2, length=300)
                 + tick(15) + everyone(0x0B) + tick(15),
    'simulcast_h264': header(4, 3, 0x06) + everyone(0x0B) + tick(3)
                      + rtp(1, L0, MID | RID | KEY, H264, count=3) + rtp(1, CAM1 | (1 << 3), MID | RID | KEY, count=2)
                      + constraints(3, 2, n_views=3, sel=1, views=0b10110100) + tick(12) + everyone(0x0A) + tick(12),
    'twcc': header(3) + rtp(0, AUDIO, TWCC | LEVEL, count=16) + rtp(1, CAM, TWCC | KEY, count=8, length=1100)
            + tick(3) + rtcp(2, twcc(count=24, lost=0x10, step=20), remb()) + rtcp(0, twcc(count=8, step=200))
            + tick(8) + everyone(0x17) + tick(16),
    'stun': header(2) + stun(0, 0) + stun(0, BAD_PWD) + stun(0, UNKNOWN) + stun(1, OTHER)
            + stun(1, USE_CAND, path=1) + stun(0, CORRUPT, off=30, xor=0x40) + stun(1, STUN_TCP)
            + raw(0, bytes([22, 0xFE, 0xFD]) + bytes(20)) + raw(1, bytes([200, 0]) + bytes(10))
            + raw(0, bytes([0, 1, 0, 0]) + bytes(16), tcp=True) + raw(1, b'\x40garbage') + tick(1),
    'tcp_media': header(3) + stun(0, USE_CAND | STUN_TCP) + rtp(1, AUDIO, LEVEL, count=4)
                 + rtp(2, CAM, KEY | MID, count=2, length=1200) + flush()
                 + stun(1, STUN_TCP) + rtp(1, AUDIO, MID, VIA_TCP, count=2, length=1000)
                 + rtcp(1, pli(2, T_CAM), tcp=True) + tick(2),
    'tcp_big_frame': header(4) + stun(0, STUN_TCP) + everyone(0x01) + everyone(0x01)
                     + rtp(0, AUDIO, MID | LEVEL, VIA_TCP, length=1200) + flush() + tick(1),
    'control': header(4, 1, 0x10) + everyone(0x07) + pause(0, 0) + pause(1, 1) + tick(2)
               + everyone(0x07) + pause(1, 1, False) + leave(2) + everyone(0x07) + join(2)
               + reconfigure(3, 0x82) + everyone(0x07) + constraints(1, 1) + tick(10)
               + constraints(1, -1) + leave(0) + tick(5),
    'unconnected': header(3, 0, 0x40) + stun(2, USE_CAND) + raw(2, bytes([22, 0xFE, 0xFF]) + bytes(30))
                   + connect(2) + everyone(0x05) + tick(3) + leave(2) + join(2, False) + tick(1),
    'timeouts': header(3, 1, 0x01) + everyone(0x0B) + tick(1) + jump(8) + everyone(0x0A) + tick(1)
                + stun(1, USE_CAND) + stun(2, 0) + jump(127) + jump(40) + tick(1) + everyone(0x07),
    'aes_cm': header(2, 0, 0x80) + rtp(0, AUDIO, LEVEL | TWCC, count=4) + rtcp(1, rr([(0, T_AUDIO)]))
              + rtp(1, CAM, KEY | PAD, count=2) + tick(2),
    'two_rooms': header(5, 2, 0x18) + everyone(0x0F) + tick(2) + rtp(2, SCREEN, KEY | MID, count=3, length=1300)
                 + rtcp(4, pli(2, T_SCREEN), bye(4), remb(2, T_SCREEN)) + tick(6),
    'odd_rtp': header(2) + rtp(0, RANDOM, MID, length=10, ssrc=0x01020304)
               + rtp(0, AUDIO, PAD | MID, TSJUMP, seqdelta=-3) + rtp(1, CAM, KEY, H264 | TSJUMP, seqdelta=100)
               + rtcp(0, rtcp_raw(2, bytes(12))) + rtcp(1, bye(1), sdes(), remb(0, T_BRIDGE)) + tick(1),
    'rtt': header(2) + rtp(0, AUDIO, count=2) + rtcp(0, sr(AUDIO)) + flush()
           + rtcp(1, rr([(0, T_AUDIO), (0, T_CAM)])) + tick(50) + rtcp(1, sr(AUDIO, [(0, T_AUDIO)])),
    # A large conference, below the 32 simulcast cameras a receiver can
    # take in: 24 endpoints with a camera each; and 16 with two each.
    'big_conference': header(24, ALL_SIM, 0x01) + everyone(0x0B) + tick(1) + everyone(0x0A) + tick(10),
    'big_two_cams': header(16, ALL_SIM, 0x05) + everyone(0x0B) + tick(1) + everyone(0x0A) + tick(10),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'fixtures', 'media')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
