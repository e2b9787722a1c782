#!/bin/bash
# SPDX-License-Identifier: MIT
# mig.sh: save/restore and live migration bench (pvctl save, restore,
# migrate) on each platform this host has.
#
#   tests/bench/mig.sh [BUILD]        (BUILD defaults to build)
#
# Starts two host sides (pvhost) in temporary run directories and, per
# platform, a 64 MiB guest twice: idle (the bench guest in mode=idle) and
# memory-dirtying (tests/guests/saver: it checks a 4 MiB pattern and
# rewrites 16 pages with a new generation every 50 ms). Each is migrated
# A -> B -> A; the rows show what pvctl migrate measured (its stdout line):
# downtime (pvisor reporting the suspend -> the destination's "ok" after
# its unpause), total time and pages sent, the best of MIG_BENCH_ROUNDS
# (default 3) migrations. Save and restore: wall time of pvctl save and
# pvctl restore of the dirtying guest (image on /tmp), best of the rounds.
set -u
set -o pipefail
prog=mig.sh
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
BUILD=${1:-build}
ROUNDS=${MIG_BENCH_ROUNDS:-3}
BIN=$BUILD/bin

for f in "$BIN/pvhost" "$BIN/pvctl" "$BUILD/guests/saver.elf" \
         "$BUILD/bench/bench-guest.elf"; do
    [ -e "$f" ] || { echo "$prog: $f missing (run make first)" >&2; exit 1; }
done
A=$(mktemp -d /tmp/pvmigA.XXXXXX) || exit 1
B=$(mktemp -d /tmp/pvmigB.XXXXXX) || exit 1
cleanup() {
    "$BIN/pvhost" stop -r "$A" >/dev/null 2>&1
    "$BIN/pvhost" stop -r "$B" >/dev/null 2>&1
    rm -rf "$A" "$B"
}
trap cleanup EXIT INT TERM
for d in "$A" "$B"; do
    "$BIN/pvhost" start -r "$d" >"$d/pvhost.out" 2>&1 ||
        { echo "$prog: pvhost start failed: $(cat "$d/pvhost.out")" >&2
          exit 1; }
done
platforms=proc
if { : <>/dev/kvm; } 2>/dev/null; then
    platforms="kvm proc"
else
    echo "$prog: SKIPPED the kvm rows: /dev/kvm is missing or not usable" >&2
fi
SAVER=$(cd "$BUILD/guests" && pwd)/saver.elf
IDLE=$(cd "$BUILD/bench" && pwd)/bench-guest.elf

# Waits up to 20 s for the console of $2 (run dir $1) to show $3.
wait_line() {
    for _ in $(seq 200); do
        grep -q "$3" "$1/console/$2.log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# min of field $1 (key value pairs) over lines on stdin
min_of() {
    awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k &&
        (m == "" || $(i + 1) + 0 < m)) m = $(i + 1) + 0 } END { print m }'
}

status=0
printf "%-38s %-14s %-14s %-14s %-9s %s\n" "migration, 64 MiB guest" \
    "downtime" "total" "pages sent" "target" "result"
for plat in $platforms; do
    for kind in idle dirty; do
        name=mig-$kind-$plat
        if [ $kind = idle ]; then
            k=$IDLE; cl="mode=idle"; line="bench: idle"
        else
            k=$SAVER; cl=""; line="saver: count 5 ok"
        fi
        "$BIN/pvctl" -r "$A" create -q tests/guests/saver.cfg \
            "name=\"$name\"" "kernel=\"$k\"" "memory=64" \
            "platform=\"$plat\"" "cmdline=\"$cl\"" >/dev/null 2>&1 ||
            { echo "$prog: create $name failed" >&2; status=1; continue; }
        [ $kind = dirty ] && { wait_line "$A" "$name" "$line" ||
            { echo "$prog: $name did not start" >&2; status=1; }; }
        [ $kind = idle ] && sleep 1
        : >"$A/$name.txt"
        src=$A dst=$B
        for _ in $(seq "$ROUNDS"); do
            "$BIN/pvctl" -r "$src" migrate -q "$name" "$dst" \
                >>"$A/$name.txt" 2>>"$A/$name.err" ||
                { echo "$prog: migrate $name failed: $(cat "$A/$name.err")" >&2
                  status=1; break; }
            t=$src; src=$dst; dst=$t
        done
        "$BIN/pvctl" -r "$src" destroy "$name" >/dev/null 2>&1
        dt=$(min_of downtime_ms <"$A/$name.txt")
        tt=$(min_of total_ms <"$A/$name.txt")
        pg=$(min_of pages <"$A/$name.txt")
        [ -n "$dt" ] || { status=1; continue; }
        res=$(awk -v d="$dt" 'BEGIN { print (d <= 50) ? "PASS" : "MISS" }')
        printf "%-38s %-14s %-14s %-14s %-9s %s\n" "  $plat, $kind" \
            "$dt ms" "$tt ms" "$pg" "<= 50 ms" "$res"
    done
done

printf "\n%-38s %-14s %-14s %-14s\n" "save/restore, 64 MiB dirtying guest" \
    "save" "restore" "image"
for plat in $platforms; do
    name=sr-$plat
    "$BIN/pvctl" -r "$A" create -q tests/guests/saver.cfg "name=\"$name\"" \
        "kernel=\"$SAVER\"" "memory=64" "platform=\"$plat\"" >/dev/null 2>&1 &&
        wait_line "$A" "$name" "saver: count 5 ok" ||
        { echo "$prog: $name did not start" >&2; status=1; continue; }
    best_s="" best_r=""
    for _ in $(seq "$ROUNDS"); do
        t0=$(date +%s%N)
        "$BIN/pvctl" -r "$A" save "$name" "$A/img" 2>>"$A/sr.err" ||
            { status=1; break; }
        t1=$(date +%s%N)
        "$BIN/pvctl" -r "$A" restore "$A/img" 2>>"$A/sr.err" ||
            { status=1; break; }
        t2=$(date +%s%N)
        s=$(( (t1 - t0) / 1000 )); r=$(( (t2 - t1) / 1000 ))
        { [ -z "$best_s" ] || [ "$s" -lt "$best_s" ]; } && best_s=$s
        { [ -z "$best_r" ] || [ "$r" -lt "$best_r" ]; } && best_r=$r
    done
    sz=$(stat -c %s "$A/img" 2>/dev/null || echo 0)
    "$BIN/pvctl" -r "$A" destroy "$name" >/dev/null 2>&1
    [ -n "$best_s" ] || continue
    printf "%-38s %-14s %-14s %-14s\n" "  $plat" \
        "$(awk -v u="$best_s" 'BEGIN { printf "%.1f ms", u / 1000 }')" \
        "$(awk -v u="$best_r" 'BEGIN { printf "%.1f ms", u / 1000 }')" \
        "$(( sz / 1024 )) KiB"
done
echo "(downtime: suspend reported -> destination running; best of $ROUNDS" \
     "migrations A->B->A...; save/restore: pvctl wall time, best of $ROUNDS)"
exit $status
