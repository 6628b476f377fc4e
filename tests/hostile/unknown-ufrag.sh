#!/usr/bin/env bash
# Unknown-ufrag flood: STUN binding requests with random usernames at the
# media port, 20000 a second for 3 s, while a victim room runs on the same
# worker. No joining needed: anyone can send these.
# Budget: the victims' room stays whole and its forwarding delay p99 within
# 5x its quiet value (>= 20 ms); the requests are counted as dropped (reason
# unknown-ufrag, or unknown before that reason exists): at least half of
# those sent (the kernel may drop some before the server reads them).
name=unknown-ufrag
. "$(dirname "$0")/lib.sh"
stoa_start --workers 1
victims_start "$workdir/victims.json" "victims-$$" 3 9 --video-kbps 200 --fps 15
wait_participants 3 45 || verdict 0 "victims did not join"
sleep 1
delay_snapshot "$workdir/d0"; sleep 2; delay_snapshot "$workdir/d1"
snapshot "$workdir/before"
hostile_run --scenario unknown-ufrag --seconds 3 --rate 20000 --count 60000
snapshot "$workdir/after"
delay_snapshot "$workdir/d2"
victims_wait
ok=1
stoa_check || ok=0
sent=$(hv sent)
if has_reason "$workdir/after" unknown-ufrag; then
    counted=$(dropped_delta "$workdir/before" "$workdir/after" unknown-ufrag); reason=unknown-ufrag
else
    counted=$(dropped_delta "$workdir/before" "$workdir/after" unknown); reason="unknown (no unknown-ufrag reason yet)"
fi
quiet=$(delay_p99_ms "$workdir/d0" "$workdir/d1"); attack=$(delay_p99_ms "$workdir/d1" "$workdir/d2")
[ "${sent:-0}" -gt 0 ] && [ "$counted" -ge $(( sent / 2 )) ] || ok=0
delay_budget_ok "$quiet" "$attack" || ok=0
victims_whole "$workdir/victims.json" || ok=0
verdict "$ok" "$sent STUN requests in $(hv seconds) s, counted $counted as $reason," \
    "victims' delay p99 ${quiet} -> ${attack} ms, victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
