#!/usr/bin/env bash
# Oversized frames: over ICE-TCP (RFC 4571 frames carry up to 64 KiB), a
# participant sends authenticated SRTP packets of 60000 bytes under its own
# declared microphone, each right behind 38 small ones (so that the bridge's
# send batch is nearly full when it reads the big one), in a room with three
# listeners; a victim room of three publishers runs beside it.
# Budget: the server survives without a sanitizer report, the big packets
# are dropped (stoa_media_dropped_total{reason="oversize"}) and the victim
# room stays whole. (The listeners do get the small packets: they are the
# attacker's own microphone.)
name=oversize
. "$(dirname "$0")/lib.sh"
stoa_start --workers 1
victims_start "$workdir/victims.json" "victims-$$" 3 6 --video-kbps 200 --fps 15
victims_start "$workdir/listeners.json" "oversize-$$" 3 6 --publishers 0
wait_participants 6 45 || verdict 0 "victims did not join"
snapshot "$workdir/before"
hostile_run --scenario oversize --room-prefix "oversize-$$" --seconds 3 --rate 2 --count 6 --size 60000
sleep 0.3
snapshot "$workdir/after"
victims_wait
ok=1
stoa_check || ok=0
[ "$(hv connected)" = 1 ] && [ "$(hv sent)" -ge 1 ] 2>/dev/null || { ok=0; why="${why:+$why; }the attacker never connected over ICE-TCP"; }
victims_whole "$workdir/victims.json" || ok=0
if has_reason "$workdir/after" oversize; then
    drops=$(dropped_delta "$workdir/before" "$workdir/after" oversize)
    [ "$drops" -ge "$(hv sent)" ] 2>/dev/null || ok=0
    drops="oversize drops $drops"
else
    drops="no oversize reason in /metrics yet"
fi
verdict "$ok" "$(hv sent) packets of 60000 bytes over ICE-TCP, $drops; victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
