#!/bin/bash
# SPDX-License-Identifier: MIT
# net.sh: network bench: guest<->guest and guest<->host UDP over pv-netback,
# next to a host veth pair, all inside private network namespaces.
#
#   tests/bench/net.sh [BUILD]        (root; BUILD defaults to build)
#
# Namespace pvbench-$$ holds bridge pvbr0 (10.99.0.1/24) and the guests'
# TAPs (pv-netback --netns); the veth baseline runs between pvbench-$$ and
# pvbench-$$-b (10.98.0.1 <-> 10.98.0.2). No address outside them is used.
# Sizes are IP packet sizes: 64 (36-byte UDP payload) and 1500 (1472).
# Each row: packets/s and Gb/s (IP bytes) counted at the receiver, and the
# veth baseline for the same size. The measurements alternate over
# NET_BENCH_ROUNDS rounds (3), each round running the veth baseline and
# the three guest paths at both sizes; every row shows the best round of
# each side. A measurement that counts no packet fails the bench.
# Knobs: NET_BENCH_SECS (5 s per measurement), NET_BENCH_ROUNDS (3).
set -u
set -o pipefail
prog=net.sh
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
SECS=${NET_BENCH_SECS:-5}
ROUNDS=${NET_BENCH_ROUNDS:-3}
NS=pvbench-$$
NS2=pvbench-$$-b
SUB=10.99.0

for f in "$BUILD/bin/pvhost" "$BUILD/bin/pvctl" "$BUILD/bin/pv-netback" \
         "$BUILD/bench/net-host" "$BUILD/guests/pingd.elf"; do
    [ -e "$f" ] || { echo "$prog: $f missing (run make first)" >&2; exit 1; }
done
# The platforms the guests run on, each in the same rounds against the
# same veth baseline: BENCH_PLATFORMS, else kvm and proc where /dev/kvm is
# usable, and proc alone (said once) where it is not.
if [ -n "${BENCH_PLATFORMS:-}" ]; then
    PLATFORMS=$BENCH_PLATFORMS
elif { : <>/dev/kvm; } 2>/dev/null; then
    PLATFORMS="kvm proc"
else
    echo "$prog: SKIPPED the kvm platform: /dev/kvm is missing or not" \
        "usable; proc platform only" >&2
    PLATFORMS=proc
fi
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] ||
    ! command -v ip >/dev/null 2>&1; then
    echo "$prog: SKIPPED: needs root, /dev/net/tun and ip" >&2
    exit 77
fi
RUN=$(mktemp -d /tmp/pvnetbench.XXXXXX) || exit 1
PVCTL="$BUILD/bin/pvctl -r $RUN"
HOSTTOOL=$BUILD/bench/net-host
cleanup() {
    "$BUILD/bin/pvhost" stop -r "$RUN" >/dev/null 2>&1
    ip netns del "$NS" 2>/dev/null
    ip netns del "$NS2" 2>/dev/null
    [ -n "${NET_BENCH_KEEP:-}" ] && echo "$prog: kept $RUN" >&2 || rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" && ip netns add "$NS2" ||
    { echo "$prog: cannot create network namespaces" >&2; exit 1; }
ip -n "$NS" link set lo up
ip -n "$NS" link add pvbr0 type bridge
ip -n "$NS" addr add "$SUB.1/24" dev pvbr0
ip -n "$NS" link set pvbr0 up
ip -n "$NS" link add veth-a type veth peer name veth-b netns "$NS2"
ip -n "$NS" addr add 10.98.0.1/24 dev veth-a
ip -n "$NS" link set veth-a up
ip -n "$NS2" addr add 10.98.0.2/24 dev veth-b
ip -n "$NS2" link set veth-b up
ip -n "$NS2" link set lo up
PVHOST_NETNS=$NS "$BUILD/bin/pvhost" start -r "$RUN" >/dev/null ||
    { echo "$prog: pvhost start failed" >&2; exit 1; }

cfg=guest-kit/examples/pingd.cfg
boot() {    # NAME LAST-OCTET CMDLINE PLATFORM
    $PVCTL create -q "$cfg" name="$1" platform="\"$4\"" \
        "vif=['mac=$(printf '00:16:3e:62:00:%02x' "$2"), bridge=pvbr0, ip=$SUB.$2/24']" \
        "cmdline='$3'" || { echo "$prog: create $1 failed" >&2; exit 1; }
}
# octet PLATFORM N: the last address octet of guest N (2: sink, 3: a
# second pingd, 4: blaster) of PLATFORM: N, N + 10, ... in PLATFORMS order
octet() {
    local i=0 q
    for q in $PLATFORMS; do
        [ "$q" = "$1" ] && { echo $((i * 10 + $2)); return; }
        i=$((i + 1))
    done
}
nlines() {      # NAME REGEXP: matching lines so far (logs survive reboots)
    grep -cE "$2" "$RUN/console/$1.log" 2>/dev/null || true
}
wait_log() {    # NAME REGEXP SECS [N]: wait for more than N matching lines
    for _ in $(seq $(($3 * 10))); do
        [ "$(nlines "$1" "$2")" -gt "${4:-0}" ] && return 0
        sleep 0.1
    done
    echo "$prog: $1: no '$2' within $3 s" >&2
    tail -3 "$RUN/console/$1.log" >&2
    return 1
}
# rate PACKETS USECS SIZE -> "pps gbps"
rate() {
    awk -v p="$1" -v u="$2" -v s="$3" 'BEGIN {
        if (u <= 0) { print "0 0"; exit }
        printf "%.0f %.3f\n", p / (u / 1e6), p * s * 8 / (u * 1e3) }'
}
row() {     # LABEL SIZE "pps gbps" "base_pps base_gbps"
    read -r p g <<<"$3"
    read -r bp bg <<<"$4"
    printf "%-24s %5s %12s %9s %12s %9s %7s\n" "$1" "$2" "$p" "$g" "$bp" \
        "$bg" "$(awk -v a="$p" -v b="$bp" \
                 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
}
sink_line() {   # guest sink's last report: PACKETS BYTES USECS
    grep -o 'sink: [0-9]* packets [0-9]* bytes in [0-9]* us' \
        "$RUN/console/$1.log" | tail -1 | awk '{print $2, $4, $7}'
}

# veth baseline: NS -> NS2
veth() {    # SIZE
    local pl=$(($1 - 28)) out
    ip netns exec "$NS2" "$HOSTTOOL" sink 9 $((SECS + 5)) >"$RUN/vsink" &
    local pid=$!
    sleep 0.3
    ip netns exec "$NS" "$HOSTTOOL" blast 10.98.0.2 9 "$pl" "$SECS" \
        >/dev/null
    wait $pid
    out=$(tail -1 "$RUN/vsink")
    read -r p _ u <<<"$out"
    rate "$p" "$u" "$1"
}

for p in $PLATFORMS; do
    boot "nbsink-$p" "$(octet "$p" 2)" "bench=sink sport=9" "$p"
    wait_log "nbsink-$p" "sink on udp" 20 || exit 1
    boot "nbsrc-$p" "$(octet "$p" 3)" "port=0" "$p"
    wait_log "nbsrc-$p" "pingd: ready" 20 || exit 1
done

# best[KIND SIZE]: the best "pps gbps" over the rounds
declare -A best
keep() {    # KIND SIZE "pps gbps"
    local p cur=${best["$1 $2"]:-}
    read -r p _ <<<"$3"
    if [ -z "$p" ] || [ "$p" -le 0 ]; then
        echo "$prog: round $r: $1 at $2 bytes counted no packets" >&2
        exit 1
    fi
    if [ -z "$cur" ] || [ "$p" -gt "${cur%% *}" ]; then
        best["$1 $2"]=$3
    fi
}

for r in $(seq "$ROUNDS"); do
    echo "$prog: round $r/$ROUNDS: veth, then on $PLATFORMS: guest ->" \
        "guest, guest -> host, host -> guest at 64 and 1500 bytes" >&2
    for size in 64 1500; do
        pl=$((size - 28))
        keep veth "$size" "$(veth "$size")"
        for p in $PLATFORMS; do
            sink=nbsink-$p
            blast=nbblast-$p
            sip=$SUB.$(octet "$p" 2)
            bo=$(octet "$p" 4)

            # guest -> guest: a third guest blasts at the sink
            $PVCTL destroy "$blast" >/dev/null 2>&1
            n=$(nlines "$sink" "sink: [0-9]")
            boot "$blast" "$bo" \
                "bench=blast peer=$sip dport=9 size=$pl secs=$SECS" "$p"
            wait_log "$sink" "sink: [0-9]" $((SECS + 30)) "$n" || exit 1
            read -r pk _ u <<<"$(sink_line "$sink")"
            keep "gg $p" "$size" "$(rate "$pk" "$u" "$size")"
            $PVCTL destroy "$blast" >/dev/null 2>&1

            # guest -> host: the host sinks in NS
            ip netns exec "$NS" "$HOSTTOOL" sink 9 $((SECS + 15)) \
                >"$RUN/hsink" &
            pid=$!
            sleep 0.3
            boot "$blast" "$bo" \
                "bench=blast peer=$SUB.1 dport=9 size=$pl secs=$SECS" "$p"
            wait $pid
            read -r pk _ u <<<"$(tail -1 "$RUN/hsink")"
            keep "gh $p" "$size" "$(rate "$pk" "$u" "$size")"
            $PVCTL destroy "$blast" >/dev/null 2>&1

            # host -> guest: the host blasts at the sink guest
            n=$(nlines "$sink" "sink: [0-9]")
            ip netns exec "$NS" "$HOSTTOOL" blast "$sip" 9 "$pl" "$SECS" \
                >"$RUN/hblast"
            wait_log "$sink" "sink: [0-9]" 10 "$n" || exit 1
            read -r pk _ u <<<"$(sink_line "$sink")"
            keep "hg $p" "$size" "$(rate "$pk" "$u" "$size")"
        done
    done
done

for plat in $PLATFORMS; do
    printf "%-24s %5s %12s %9s %12s %9s %7s\n" "network (UDP), $plat" "bytes" \
        "packets/s" "Gb/s" "veth pkt/s" "Gb/s" "ratio"
    printf "  (best of %d interleaved rounds of %d s on each side)\n" \
        "$ROUNDS" "$SECS"
    for size in 64 1500; do
        row "guest -> guest" "$size" "${best["gg $plat $size"]}" \
            "${best["veth $size"]}"
        row "guest -> host" "$size" "${best["gh $plat $size"]}" \
            "${best["veth $size"]}"
        row "host -> guest" "$size" "${best["hg $plat $size"]}" \
            "${best["veth $size"]}"
    done
done
