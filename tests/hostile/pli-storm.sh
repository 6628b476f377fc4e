#!/usr/bin/env bash
# PLI storm: a receiver in a room with two video publishers asks for a key
# frame of each camera 50 times a second (PLI and FIR in turn) for 6 s.
# Budget: a receiver's requests reach a sender at most once per second per
# source (the rest counted as stoa_media_dropped_total{reason="keyframe-budget"});
# the publishers (stoa-load, counting the PLI/FIR they get) may see at most
# 1 per second of the attack per camera plus 4 (the bridge's own, when the
# attacker joined); their room stays whole.
name=pli-storm
. "$(dirname "$0")/lib.sh"
attack_in_room pli-storm "pli-$$" 2 8 "--video-kbps 200 --fps 15" --seconds 6 --rate 50
cams=$(hv video_streams); secs=$(hv attack_s)
got=$(field "$workdir/victims.json" window_keyframe_requests)
allowed=$(awk -v c="${cams:-0}" -v s="${secs:-0}" 'BEGIN { printf "%d", c * (s * 1 + 4) }')
[ "${cams:-0}" -ge 2 ] 2>/dev/null || { ok=0; why="${why:+$why; }the hostile receiver saw ${cams:-0} of 2 cameras"; }
[ "${got:-999999}" -le "$allowed" ] || ok=0
victims_whole "$workdir/victims.json" || ok=0
if has_reason "$workdir/after" keyframe-budget; then
    drops=$(dropped_delta "$workdir/before" "$workdir/after" keyframe-budget)
    [ "$drops" -gt 0 ] || ok=0
    drops="keyframe-budget drops $drops"
else
    drops="no keyframe-budget reason in /metrics yet"
fi
verdict "$ok" "publishers got $got keyframe requests for ${cams:-0} cameras in ${secs:-?} s of $(hv sent) requests" \
    "(budget $allowed: 1/s per camera + 4), $drops; victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
