#!/usr/bin/env bash
# A full room: 40 participants (the default room capacity), each publishing
# a simulcast camera and a microphone, on a stoa with default options.
# Budget: every subscriber receives all 39 other cameras and 39 microphones,
# nothing is lost, and the ASan/UBSan stoa reports nothing.
# Kept light for CI on two busy cores: 60 kbit/s of video at 10 fps, Opus
# in 60 ms packets (a third of the packets: 40 x 39 microphones dominate),
# generous join timeouts, and every camera shown 180 lines tall as in a
# browser's 40-tile grid (without view heights every receiver asks for the
# top layer of all 39 cameras: five times the bytes, more than the load
# generator itself can decrypt on a busy core). Each participant signals from an address of its own
# (stoa caps connections per address). The window is long enough for each subscriber's
# bandwidth estimate (1 Mbit/s at the start) to grow past what 39 microphones
# and 39 lowest layers need (about 3.4 Mbit/s): until then the bridge rightly
# holds cameras back.
name=full-room
. "$(dirname "$0")/lib.sh"
stoa_start
out=$workdir/load.json
start=$SECONDS
timeout 200 "$load" --url "ws://127.0.0.1:$http/ws" --rooms 1 --participants 40 --simulcast --source-addresses 40 \
    --video-kbps 60 --fps 10 --audio-ptime 60 --threads 2 --seconds 15 --join-interval-ms 50 --join-timeout 120 --view-height 180 \
    --server-pid "$stoa_pid" --json --expect-complete >"$out" 2>"$out.err"
rc=$?
sleep 0.5
ok=1
stoa_check || ok=0
cams=$(field "$out" cameras_min)
mics=$(field "$out" mics_min)
[ "$rc" -eq 0 ] && [ "${cams:-0}" = 39 ] && [ "${mics:-0}" = 39 ] && victims_whole "$out" || ok=0
verdict "$ok" "40 participants: every subscriber got >= ${cams:-?}/39 cameras and ${mics:-?}/39 microphones," \
    "joined $(field "$out" joined)/40, $(victims_figures "$out"), delay p50 $(field "$out" latency_p50_ms) ms," \
    "stoa cpu $(field "$out" server_cpu_s) s, others on the machine $(field "$out" other_cpu_s) s in the window, $((SECONDS - start)) s${why:+; $why}"
