#!/usr/bin/env bash
# CI check of issue 5: a short loopback run of stoa-load against a real stoa.
#   tools/load/ci-check.sh <path to stoa> <path to stoa-load> [seconds [stoa-load options...]]
# Starts stoa on free ports (127.0.0.1 only), runs 3 participants in one room
# publishing audio and video for a few seconds, and exits non-zero unless
# nothing was lost and every subscriber received every publisher's streams
# (e.g. with --simulcast: each camera as three layers, one reaching each
# subscriber as one gapless stream).
# With STOA_SPLIT=1 the server is `stoa focus` and a `stoa bridge` linked to it
# (two processes, a link secret in a temporary file) instead of `stoa serve`;
# with STOA_SPLIT=2, two bridges of regions a and b, the participants asking
# for a and b in turn: one room over two bridges, relayed.
# STOA_PARTICIPANTS=N (default 3) and STOA_PUBLISHERS=N (default: all) size
# the room; STOA_MEDIA_ARGS are more options for every process with media
# (stoa serve, each stoa bridge), e.g. "--worker-participants 2" to spread
# the room over each one's two media workers; the check then also asks
# that every media worker forwarded and that the workers relayed.
# Builds nothing. Prints one line: "load-check: PASS ..." or "load-check: FAIL ...".
set -uo pipefail
participants=${STOA_PARTICIPANTS:-3}
publishers=${STOA_PUBLISHERS:-$participants}
read -r -a media_args <<< "${STOA_MEDIA_ARGS:-}"
if [ $# -lt 2 ]; then
    echo "usage: $0 <stoa binary> <stoa-load binary> [seconds [stoa-load options...]]" >&2
    exit 2
fi
stoa=$1
load=$2
seconds=${3:-5}
shift $(( $# < 3 ? $# : 3 ))
extra=("$@")
for b in "$stoa" "$load"; do
    [ -x "$b" ] || { echo "load-check: FAIL $b is not executable"; exit 2; }
done
workdir=$(mktemp -d)
pid=
bridge_pid=
bridge2_pid=
stop() {
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$1" 2>/dev/null
    fi
}
cleanup() {
    stop "$bridge_pid"
    stop "$bridge2_pid"
    stop "$pid"
    rm -rf "$workdir"
}
trap cleanup EXIT

port_busy() {   # tcp|udp port
    ss -Hln"${1:0:1}" "sport = :$2" 2>/dev/null | grep -q .
}

started=
for attempt in 1 2 3 4 5; do
    http=$((20000 + RANDOM % 30000))
    media=$((http + 100))
    if port_busy tcp "$http" || port_busy udp "$media" || port_busy udp $((media + 1)); then
        continue
    fi
    if [ "${STOA_SPLIT:-0}" != 0 ]; then
        openssl rand -hex 32 >"$workdir/secret"
        "$stoa" focus --http-port "$http" --secret-file "$workdir/secret" --log-level info >"$workdir/stoa.log" 2>&1 &
        pid=$!
        "$stoa" bridge --focus "ws://127.0.0.1:$http/bridge" --secret-file "$workdir/secret" --bridge-id ci \
            --media-port "$media" --public-ip 127.0.0.1 --workers 2 --log-level info --region a "${media_args[@]}" \
            >"$workdir/bridge.log" 2>&1 &
        bridge_pid=$!
        if [ "${STOA_SPLIT}" = 2 ]; then
            "$stoa" bridge --focus "ws://127.0.0.1:$http/bridge" --secret-file "$workdir/secret" --bridge-id ci2 \
                --media-port $((media + 10)) --public-ip 127.0.0.1 --workers 2 --log-level info --region b \
                "${media_args[@]}" >"$workdir/bridge2.log" 2>&1 &
            bridge2_pid=$!
            extra+=(--regions a,b)
        fi
    else
        "$stoa" --http-port "$http" --media-port "$media" --public-ip 127.0.0.1 --workers 2 \
            --log-level info --room-capacity 200 "${media_args[@]}" >"$workdir/stoa.log" 2>&1 &
        pid=$!
    fi
    for _ in $(seq 50); do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null; then started=1; break; fi
        sleep 0.1
    done
    if [ -n "$started" ] && [ -n "$bridge_pid" ]; then
        started=
        for _ in $(seq 100); do
            grep -q "bridge ci linked" "$workdir/stoa.log" &&
                { [ -z "$bridge2_pid" ] || grep -q "bridge ci2 linked" "$workdir/stoa.log"; } && { started=1; break; }
            kill -0 "$bridge_pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    [ -n "$started" ] && break
    stop "$bridge_pid"; bridge_pid=
    stop "$bridge2_pid"; bridge2_pid=
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
done
if [ -z "$started" ]; then
    echo "load-check: FAIL stoa did not start: $(tail -1 "$workdir/stoa.log" 2>/dev/null)"
    exit 1
fi

timeout $((seconds + 40)) "$load" --url "ws://127.0.0.1:$http/ws" --rooms 1 --participants "$participants" --publishers "$publishers" \
    --seconds "$seconds" --video-kbps 300 --server-pid "${bridge_pid:-$pid}" --join-timeout 15 --expect-complete --json "${extra[@]}" \
    >"$workdir/load.json" 2>"$workdir/load.err"
rc=$?
summary=$(tail -1 "$workdir/load.json")
field() {   # crude but dependency-free: the value of a top-level number/bool field
    printf '%s' "$summary" | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2
}
if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    status=$?
    pid=
    what="exit status $status"
    [ "$status" -gt 128 ] && what="killed by signal $((status - 128))"
    echo "load-check: FAIL stoa died during the run ($what) $(tail -1 "$workdir/stoa.log")"
    exit 1
fi
if [ -n "$bridge2_pid" ] && ! kill -0 "$bridge2_pid" 2>/dev/null; then
    echo "load-check: FAIL the second bridge died during the run $(tail -1 "$workdir/bridge2.log")"
    exit 1
fi
if [ -n "$bridge2_pid" ] && ! grep -q "relay between bridges" "$workdir/stoa.log"; then
    echo "load-check: FAIL no relay was opened between the two bridges"
    exit 1
fi
if [ -n "$bridge_pid" ] && ! kill -0 "$bridge_pid" 2>/dev/null; then
    echo "load-check: FAIL the bridge died during the run $(tail -1 "$workdir/bridge.log")"
    exit 1
fi
line="$participants participants${bridge_pid:+ (focus and bridge processes)}${bridge2_pid:+ (two bridges, relayed)}${extra[*]:+ (${extra[*]})}, ${seconds}s: sent $(field sent), received $(field received), lost $(field lost), missing streams $(field missing_streams), p50 $(field latency_p50_ms) ms, p99 $(field latency_p99_ms) ms"
# Spread over workers: each process with media says so, and when it stops,
# that each of its workers forwarded and relayed to the other.
if [ ${#media_args[@]} -gt 0 ]; then
    logs=()
    if [ -n "$bridge_pid" ]; then
        stop "$bridge_pid"; bridge_pid=; logs+=("$workdir/bridge.log")
        if [ -n "$bridge2_pid" ]; then stop "$bridge2_pid"; bridge2_pid=; logs+=("$workdir/bridge2.log"); fi
    else
        stop "$pid"; pid=; logs+=("$workdir/stoa.log")
    fi
    for log in "${logs[@]}"; do
        if ! grep -q "spreads to worker" "$log"; then
            echo "load-check: FAIL $(basename "$log"): the conference did not spread over the workers"
            exit 1
        fi
        for w in 0 1; do
            if ! grep -Eq "worker $w forwarded [1-9][0-9]* RTP packets, relayed [1-9][0-9]* bytes" "$log"; then
                echo "load-check: FAIL $(basename "$log"): worker $w did not forward and relay: $(grep "worker $w forwarded" "$log")"
                exit 1
            fi
        done
    done
fi
if [ "$rc" -eq 0 ] && [ "$(field complete)" = "true" ]; then
    echo "load-check: PASS $line"
    exit 0
fi
echo "load-check: FAIL (exit $rc) $line $(head -c 300 "$workdir/load.err" | tr '\n' ' ')"
grep -o '"failures":\[[^]]*\]' "$workdir/load.json" >&2 || true
exit 1
