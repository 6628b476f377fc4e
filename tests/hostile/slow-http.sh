#!/usr/bin/env bash
# Slow HTTP (slowloris): 200 connections each send a request's first lines
# and then one more header line a second, never the end, for 6 s.
# Budget: from another address (127.0.0.2) the page loads within 2 s and a
# join succeeds within 3 s, every second; the victim room stays whole.
name=slow-http
. "$(dirname "$0")/lib.sh"
stoa_start --workers 1
victims_start "$workdir/victims.json" "victims-$$" 2 10 --video-kbps 100 --fps 10 --audio-only
wait_participants 2 45 || verdict 0 "victims did not join"
hostile_run --scenario slow-http --seconds 6 --count 200 --probe-ip 127.0.0.2
victims_wait
ok=1
stoa_check || ok=0
probes=$(hv probes); probes_ok=$(hv probes_ok)
[ "${probes:-0}" -ge 3 ] && [ "$probes_ok" = "$probes" ] || ok=0
victims_whole "$workdir/victims.json" || ok=0
verdict "$ok" "$(hv opened)/200 slow requests, $(hv closed_by_server) closed by the server;" \
    "probes from 127.0.0.2 $probes_ok/$probes ok (worst $(hv probe_worst_ms) ms); victims $(victims_figures "$workdir/victims.json")${why:+; $why}"
