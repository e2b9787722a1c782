#!/bin/bash
# SPDX-License-Identifier: MIT
# bench-trace.sh BUILD [ROUNDS]: the null hypercall (xen_version) cost of
# the bench guest without and with a `pvctl trace` listener on the domain,
# rounds interleaved. Prints the minimum ns per hypercall of each.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
ROUNDS=${2:-3}
N=50000
BIN=$BUILD/bin
RUN=$(mktemp -d /tmp/pvtrace.XXXXXX)
trap '"$BIN/pvhost" stop -r "$RUN" >/dev/null 2>&1 || true; rm -rf "$RUN"' EXIT
trap 'exit 130' INT TERM
"$BIN/pvhost" start -r "$RUN" >/dev/null
P() { "$BIN/pvctl" -r "$RUN" "$@"; }
cat >"$RUN/bench.cfg" <<CFG
name = "trbench"
memory = 32
vcpus = 1
kernel = "$BUILD/bench/bench-guest.elf"
cmdline = "mode=hypercall n=$N reps=3"
on_poweroff = "preserve"
on_crash = "destroy"
CFG
# One run: prints the guest's best total_ns; $1 = yes to trace it.
one() {
    local name=tr$RANDOM tpid=
    P create -q -p "$RUN/bench.cfg" "name=\"$name\""
    if [ "$1" = yes ]; then
        P trace "$name" >"$RUN/trace.out" &
        tpid=$!
        for _ in $(seq 100); do
            grep -q '^# tracing' "$RUN/trace.out" && break
            sleep 0.05
        done
        grep -q '^# tracing' "$RUN/trace.out" || { echo "no tracer" >&2; exit 1; }
    fi
    P unpause "$name"
    P wait -t 600 "$name" >/dev/null || true
    P console "$name" </dev/null | grep -o 'total_ns=[0-9]*' | cut -d= -f2 |
        sort -n | head -1
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
    P destroy "$name"
    if [ "$1" = yes ]; then
        echo "traced lines: $(grep -c xen_version "$RUN/trace.out")" >&2
    fi
}
best_off= best_on=
for _ in $(seq "$ROUNDS"); do
    off=$(one no)
    on=$(one yes)
    [ -z "$best_off" ] || [ "$off" -lt "$best_off" ] && best_off=$off
    [ -z "$best_on" ] || [ "$on" -lt "$best_on" ] && best_on=$on
done
echo "null hypercall, no listener:  $((best_off / N)) ns ($best_off ns for $N)"
echo "null hypercall, with a trace: $((best_on / N)) ns ($best_on ns for $N)"
