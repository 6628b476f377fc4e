#!/usr/bin/env bash
# SSRC flood: a participant alone in its room sends authenticated RTP under
# 10000 random new SSRCs (2500 a second for 4 s) while a victim room of three
# publishers runs on the same media worker.
# Budget: the packets are dropped (reason unknown or ssrc-budget: at least
# 90% of what was sent counted), the server's VmRSS grows by at most 8 MB,
# the victims' forwarding delay p99 stays within 5x its quiet value (>= 20 ms)
# and their room stays whole.
name=ssrc-flood
. "$(dirname "$0")/lib.sh"
# ASan keeps freed memory in quarantine (256 MB by default), which would
# show churn as growth: a small one leaves what is really kept.
export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=8"
stoa_start --workers 1
victims_start "$workdir/victims.json" "victims-$$" 3 10 --video-kbps 200 --fps 15
wait_participants 3 45 || verdict 0 "victims did not join"
sleep 1
delay_snapshot "$workdir/d0"; sleep 2; delay_snapshot "$workdir/d1"
rss0=$(rss_kb)
snapshot "$workdir/before"
hostile_run --scenario ssrc-flood --seconds 4 --rate 2500 --count 10000
snapshot "$workdir/after"
delay_snapshot "$workdir/d2"
sleep 0.5
rss1=$(rss_kb)
victims_wait
ok=1
stoa_check || ok=0
sent=$(hv sent)
drops=$(dropped_delta "$workdir/before" "$workdir/after" unknown ssrc-budget)
quiet=$(delay_p99_ms "$workdir/d0" "$workdir/d1"); attack=$(delay_p99_ms "$workdir/d1" "$workdir/d2")
grow=$(( (rss1 - rss0) / 1024 ))
[ "$(hv connected)" = 1 ] && [ "${sent:-0}" -gt 0 ] || { ok=0; why="${why:+$why; }the attacker never connected"; }
[ "$drops" -ge $(( ${sent:-0} * 9 / 10 )) ] || ok=0
[ $(( rss1 - rss0 )) -le 8192 ] || ok=0
delay_budget_ok "$quiet" "$attack" || ok=0
victims_whole "$workdir/victims.json" || ok=0
verdict "$ok" "$sent packets under new SSRCs, dropped (unknown+ssrc-budget) $drops, VmRSS +${grow} MB (budget 8)," \
    "victims' delay p99 ${quiet} -> ${attack} ms, victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
