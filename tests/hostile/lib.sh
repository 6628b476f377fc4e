# Shared by the tests of tests/hostile: a stoa of its own on free ports
# (127.0.0.1 only), its /metrics, well-behaved victims (stoa-load) beside the
# attack, and the verdict line. Source it; set $name (the scenario) first.
#   stoa_start [stoa options...]   -> $stoa_pid $http $media $workdir
#   metric 'name{labels}'          -> the value (0 when absent)
#   victims_start FILE PREFIX PARTICIPANTS SECONDS [stoa-load options...]
#   victims_wait                   -> waits for every victims_start
#   field FILE KEY                 -> a top-level number/bool of stoa-load's JSON
#   stoa_check                     -> 0 when alive and without sanitizer report, else sets $why
#   verdict OK FIGURES             -> prints "hostile <name>: PASS|FAIL ..." and exits
set -uo pipefail
: "${name:?}"
stoa=${STOA:?set STOA to the stoa binary}
load=${STOA_LOAD:?set STOA_LOAD to the stoa-load binary}
hostile=${STOA_HOSTILE:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
workdir=$(mktemp -d)
stoa_pid=
victim_pids=()

hostile_cleanup() {
    for v in "${victim_pids[@]}"; do kill "$v" 2>/dev/null; done
    if [ -n "$stoa_pid" ] && kill -0 "$stoa_pid" 2>/dev/null; then
        kill "$stoa_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$stoa_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$stoa_pid" 2>/dev/null
    fi
    [ -n "${KEEP_WORKDIR:-}" ] && { echo "kept $workdir" >&2; return; }
    rm -rf "$workdir"
}
trap hostile_cleanup EXIT

port_busy() {   # tcp|udp port
    ss -Hln"${1:0:1}" "sport = :$2" 2>/dev/null | grep -q .
}

stoa_start() {
    local started= attempt
    for attempt in 1 2 3 4 5; do
        http=$((20000 + RANDOM % 30000))
        media=$((http + 100))
        if port_busy tcp "$http" || port_busy udp "$media" || port_busy tcp "$media" ||
           port_busy udp $((media + 1)); then
            continue
        fi
        "$stoa" --http-port "$http" --media-port "$media" --public-ip 127.0.0.1 \
            --log-level warn "$@" >"$workdir/stoa.log" 2>&1 &
        stoa_pid=$!
        for _ in $(seq 100); do
            kill -0 "$stoa_pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$http") 2>/dev/null; then started=1; break; fi
            sleep 0.1
        done
        [ -n "$started" ] && return 0
        kill "$stoa_pid" 2>/dev/null; wait "$stoa_pid" 2>/dev/null; stoa_pid=
    done
    echo "hostile $name: FAIL stoa did not start: $(tail -1 "$workdir/stoa.log" 2>/dev/null)"
    exit 1
}

metrics_text() {
    curl -s --max-time 5 "http://127.0.0.1:$http/metrics"
}

metric() {   # 'name' or 'name{label="v"}'; 0 when absent or unreachable
    local v
    v=$(metrics_text | awk -v k="$1" '$1 == k {print $2; exit}')
    echo "${v:-0}"
}

rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$stoa_pid/status" 2>/dev/null || echo 0
}

cpu_ticks() {   # utime + stime of stoa, in clock ticks
    awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$stoa_pid/stat" 2>/dev/null || echo 0
}

wait_participants() {   # N timeout_s: until /metrics counts N participants
    local deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        [ "$(metric stoa_participants)" -ge "$1" ] 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

victims_start() {   # file prefix participants seconds [options...]
    local file=$1 prefix=$2 n=$3 secs=$4
    shift 4
    timeout $((secs + 90)) "$load" --url "ws://127.0.0.1:$http/ws" --rooms 1 --participants "$n" \
        --seconds "$secs" --room-prefix "$prefix" --join-timeout 40 --json --expect-complete "$@" \
        >"$file" 2>"$file.err" &
    victim_pids+=($!)
}

victims_wait() {
    for v in "${victim_pids[@]}"; do wait "$v" 2>/dev/null; done
    victim_pids=()
}

field() {   # file key: crude but dependency-free
    tail -1 "$1" 2>/dev/null | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2
}

# Victims are whole when everyone joined, nothing was lost, every stream
# arrived and nothing foreign reached them.
victims_whole() {   # file
    [ "$(field "$1" complete)" = "true" ] && [ "$(field "$1" lost)" = "0" ] &&
        [ "$(field "$1" missing_streams)" = "0" ] && [ "$(field "$1" foreign)" = "0" ]
}

victims_figures() {   # file
    echo "lost $(field "$1" lost) missing $(field "$1" missing_streams) foreign $(field "$1" foreign) complete $(field "$1" complete)"
}

stoa_check() {
    why=
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$workdir/stoa.log"; then
        why="sanitizer: $(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$workdir/stoa.log" | cut -c1-160)"
        return 1
    fi
    if ! kill -0 "$stoa_pid" 2>/dev/null; then
        why="stoa died"
        return 1
    fi
    return 0
}

# The first le="..." bucket of stoa_forward_delay_seconds at or above which
# 99% of the packets forwarded between two snapshots of /metrics lie.
delay_snapshot() {   # file
    metrics_text | grep '^stoa_forward_delay_seconds_bucket' >"$1"
}
delay_p99_ms() {   # before after
    join <(sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' "$1" | sort) \
         <(sed 's/.*le="\([^"]*\)"} \(.*\)/\1 \2/' "$2" | sort) 2>/dev/null |
        awk '{print $1, $3 - $2}' | sort -g |
        awk '$1 == "+Inf" {total = $2; next} {le[n] = $1; c[n++] = $2}
             END { if (total == 0) { print 0; exit }
                   for (i = 0; i < n; i++) if (c[i] >= 0.99 * total) { printf "%.1f\n", le[i] * 1000; exit }
                   print "inf" }'
}

verdict() {   # ok figures...
    local ok=$1
    shift
    if [ "$ok" = 1 ]; then
        echo "hostile $name: PASS $*"
        exit 0
    fi
    echo "hostile $name: FAIL $*"
    [ -n "${VERBOSE:-}" ] && tail -20 "$workdir/stoa.log" >&2
    exit 1
}

# Snapshots of /metrics, and a value in one.
snapshot() {   # file
    metrics_text >"$1"
}
mval() {   # file 'name{labels}'
    local v
    v=$(awk -v k="$2" '$1 == k {print $2; exit}' "$1" 2>/dev/null)
    echo "${v:-0}"
}
# What the given reasons of stoa_media_dropped_total grew by between two snapshots.
dropped_delta() {   # before after reason...
    local before=$1 after=$2 sum=0 r
    shift 2
    for r in "$@"; do
        sum=$((sum + $(mval "$after" "stoa_media_dropped_total{reason=\"$r\"}") - $(mval "$before" "stoa_media_dropped_total{reason=\"$r\"}")))
    done
    echo "$sum"
}
has_reason() {   # file reason: does the server count that reason at all?
    grep -q "^stoa_media_dropped_total{reason=\"$2\"}" "$1"
}

# Runs stoa-hostile against this stoa; its key=value line goes to $workdir/hostile.out.
hostile_run() {   # stoa-hostile options...
    [ -x "$hostile" ] || { echo "hostile $name: FAIL set STOA_HOSTILE to the stoa-hostile binary"; exit 2; }
    timeout 60 "$hostile" --http-port "$http" --media-port "$media" "$@" >"$workdir/hostile.out" 2>"$workdir/hostile.err"
}
hv() {   # key: a value of the hostile line
    grep -o " $1=[^ ]*" "$workdir/hostile.out" | head -1 | cut -d= -f2
}

# The victims' forwarding delay: p99 (ms) of stoa_forward_delay_seconds over
# a quiet stretch before the attack and over the attack, and whether the
# attack's stays within 5x the quiet one (at least 20 ms: scheduling noise
# on shared cores).
delay_budget_ok() {   # quiet_ms attack_ms
    awk -v q="$1" -v a="$2" 'BEGIN { lim = 5 * q; if (lim < 20) lim = 20; exit !(a != "inf" && a <= lim) }'
}

# An attack from inside the victims' room: stoa with one worker, N victims
# (stoa-load) in room PREFIX for S seconds, then stoa-hostile joining the
# same room; leaves /metrics in $workdir/before and after, victims.json and
# ok=1 unless the server itself failed.
# usage: attack_in_room SCENARIO PREFIX N S "VICTIM_OPTIONS" [HOSTILE_OPTIONS...]
attack_in_room() {
    local scenario=$1 prefix=$2 n=$3 secs=$4 victim_opts=$5
    shift 5
    stoa_start --workers 1
    # shellcheck disable=SC2086   # the victims' options are words
    victims_start "$workdir/victims.json" "$prefix" "$n" "$secs" $victim_opts
    wait_participants "$n" 45 || verdict 0 "victims did not join"
    snapshot "$workdir/before"
    hostile_run --scenario "$scenario" --room-prefix "$prefix" "$@"
    snapshot "$workdir/after"
    victims_wait
    ok=1
    stoa_check || ok=0
}
