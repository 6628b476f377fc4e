#!/usr/bin/env bash
# Connection flood: 1000 WebSocket connections (upgrade requests, then
# silence) from 127.0.0.1, held for 4 s, while a victim room runs.
# Budget: from another address (127.0.0.2) the page loads within 2 s and a
# join succeeds within 3 s, every second of the flood; the victim room stays
# whole; after the flood the server is idle again (at most 30% of a core
# over 2 s: it does not spin on dead connections). Metrics second: when
# stoa_refused_total{reason="connections-per-address"} exists it must grow.
name=conn-flood
. "$(dirname "$0")/lib.sh"
stoa_start --workers 1
victims_start "$workdir/victims.json" "victims-$$" 2 9 --video-kbps 100 --fps 10 --audio-only
wait_participants 2 45 || verdict 0 "victims did not join"
snapshot "$workdir/before"
hostile_run --scenario conn-flood --seconds 4 --count 1000 --probe-ip 127.0.0.2
sleep 1
t0=$(cpu_ticks); sleep 2; t1=$(cpu_ticks)
snapshot "$workdir/after"
victims_wait
ok=1
stoa_check || ok=0
hz=$(getconf CLK_TCK)
idle_pct=$(( (t1 - t0) * 100 / (2 * hz) ))
probes=$(hv probes); probes_ok=$(hv probes_ok)
[ "${probes:-0}" -ge 2 ] && [ "$probes_ok" = "$probes" ] || ok=0
[ "$idle_pct" -le 30 ] || ok=0
victims_whole "$workdir/victims.json" || ok=0
refused="no stoa_refused_total yet"
if grep -q '^stoa_refused_total{reason="connections-per-address"}' "$workdir/after"; then
    r=$(( $(mval "$workdir/after" 'stoa_refused_total{reason="connections-per-address"}') - $(mval "$workdir/before" 'stoa_refused_total{reason="connections-per-address"}') ))
    [ "$r" -gt 0 ] || ok=0
    refused="refused per address $r"
fi
verdict "$ok" "$(hv opened)/1000 connections opened, $(hv closed_by_server) closed by the server;" \
    "probes from 127.0.0.2 $probes_ok/$probes ok (worst $(hv probe_worst_ms) ms); stoa cpu after the flood ${idle_pct}% of a core (budget 30);" \
    "$refused; victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
