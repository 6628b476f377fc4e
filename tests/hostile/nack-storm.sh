#!/usr/bin/env bash
# NACK storm: a receiver in a room with three simulcast publishers (their
# cameras reach receivers with an RTX stream, so the bridge answers NACKs
# from its cache rather than passing them on) sends NACK
# compounds naming 1500 packets of each camera, 10 compounds a second.
# Budget: what the bridge resends to it is bounded by what it is forwarded
# (the fix: at most half of the last second's bytes plus a small burst; the
# test allows 1x + 64 kB), the excess is counted as
# stoa_media_dropped_total{reason="rtx-budget"}, and the publishers' room
# stays whole (no loss, every stream).
name=nack-storm
. "$(dirname "$0")/lib.sh"
attack_in_room nack-storm "nack-$$" 3 8 "--video-kbps 600 --fps 15 --simulcast" --seconds 4 --rate 10
media_b=$(hv media_bytes); rtx_b=$(hv rtx_bytes); secs=$(hv attack_s)
resent=$(( $(mval "$workdir/after" stoa_retransmitted_packets_total) - $(mval "$workdir/before" stoa_retransmitted_packets_total) ))
budget_drops=$(dropped_delta "$workdir/before" "$workdir/after" rtx-budget)
[ "$(hv connected)" = 1 ] && [ "$(hv video_streams)" -ge 1 ] 2>/dev/null || { ok=0; why="${why:+$why; }the hostile receiver got no video"; }
[ "${rtx_b:-0}" -le $(( ${media_b:-0} + 65536 )) ] 2>/dev/null || ok=0
victims_whole "$workdir/victims.json" || ok=0
if has_reason "$workdir/after" rtx-budget; then
    [ "$budget_drops" -gt 0 ] || ok=0
    drops="rtx-budget drops $budget_drops"
else
    drops="no rtx-budget reason in /metrics yet"
fi
rate() { awk -v b="$1" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? b / s : 0) / 1000 }'; }
verdict "$ok" "rtx $(rate "${rtx_b:-0}") kB/s for $(rate "${media_b:-0}") kB/s forwarded (budget 1x+64kB)," \
    "$(hv sent) NACK compounds, bridge resent $resent packets, $drops; victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
