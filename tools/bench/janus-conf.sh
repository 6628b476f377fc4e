#!/usr/bin/env bash
# Writes a private Janus configuration folder for the benchmark (used with
# janus -F <folder>; nothing under /etc is read or touched):
#   tools/bench/janus-conf.sh <folder> <interface> <ws-port> <rtp-port-range>
# VideoRoom and the WebSocket transport only, ICE-lite, ICE restricted to one
# interface, one UDP port range, no recording, no event handlers, no loggers.
set -euo pipefail
dir=$1 iface=$2 wsport=$3 range=$4
libdir=$(dirname "$(dpkg -L janus 2>/dev/null | grep '/plugins/libjanus_videoroom.so$' | head -1)")
libdir=${libdir%/plugins}
[ -d "$libdir/plugins" ] || libdir=/usr/lib/x86_64-linux-gnu/janus
mkdir -p "$dir"
others() {   # every .so in a folder except the ones named
    local folder=$1; shift
    local keep=" $* " out=
    for f in "$libdir/$folder"/*.so; do
        b=$(basename "$f")
        case "$keep" in *" $b "*) continue ;; esac
        out="$out${out:+,}$b"
    done
    printf '%s' "$out"
}
cat >"$dir/janus.jcfg" <<CFG
general: {
    configs_folder = "$dir"
    plugins_folder = "$libdir/plugins"
    transports_folder = "$libdir/transports"
    events_folder = "$libdir/events"
    loggers_folder = "$libdir/loggers"
    debug_level = 3
    server_name = "stoa-bench"
    session_timeout = 60
    protected_folders = [ "/bin", "/boot", "/dev", "/etc", "/initrd", "/lib", "/lib32", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var" ]
}
certificates: {
}
media: {
    ipv6 = false
    rtp_port_range = "$range"
}
nat: {
    ice_lite = true
    ice_tcp = false
    full_trickle = false
    ice_enforce_list = "$iface"
}
plugins: {
    disable = "$(others plugins libjanus_videoroom.so)"
}
transports: {
    disable = "$(others transports libjanus_websockets.so)"
}
loggers: {
    disable = "$(others loggers)"
}
events: {
    broadcast = false
}
CFG
cat >"$dir/janus.transport.websockets.jcfg" <<CFG
general: {
    json = "compact"
    ws = true
    ws_port = $wsport
    wss = false
}
admin: {
    admin_ws = false
    admin_wss = false
}
CFG
cat >"$dir/janus.plugin.videoroom.jcfg" <<CFG
general: {
    string_ids = false
}
CFG
