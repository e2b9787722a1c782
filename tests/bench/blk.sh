#!/bin/bash
# SPDX-License-Identifier: MIT
# blk.sh: block bench: a guest on pv-blkback vs host O_DIRECT, same file.
#
#   tests/bench/blk.sh [BUILD]        (BUILD defaults to build)
#
# Starts its own host side (pvhost) in a temporary run directory, makes a
# 1 GiB image under /tmp (BLK_BENCH_IMG to choose another file or a block
# device), runs build/bench/blk-host (io_uring, O_DIRECT) and the blkcheck
# guest in bench mode on the same file: 1 MiB sequential write and read at
# queue depth 4, 4 KiB random reads at queue depth 32.
#
# The rows with a target compare the guest set up for I/O with the
# strongest host baseline: the host program with its buffer in transparent
# huge pages (2 MiB-aligned, madvised; the table says how much of it the
# kernel made huge). Set up for I/O: the guest's
# data buffers are blkfront in-place buffers (gk_blk_buffer_alloc: no copy
# through the page pool, the backend reads and writes them as the host
# kernel does a program's O_DIRECT buffer), and its RAM is in 2 MiB host
# pages (pvisor --mem-path on a tmpfs mounted huge=always in the run
# directory) when this may mount one (root; else 4 KiB pages, and the
# table says so). Two more configurations run in the same rounds and are
# shown without a target: the guest with every default (memfd RAM, data
# copied through the pool), and the host with a plain posix_memalign
# buffer. Knobs: BLK_BENCH_MB (1024), BLK_BENCH_SECS (3), BLK_BENCH_QD
# (32), BLK_BENCH_ROUNDS (3: the configurations alternate, best of each
# shown).
set -u
set -o pipefail
prog=blk.sh
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
BUILD=${1:-build}
MB=${BLK_BENCH_MB:-1024}
SECS=${BLK_BENCH_SECS:-3}
QD=${BLK_BENCH_QD:-32}
SEQQD=4
ROUNDS=${BLK_BENCH_ROUNDS:-3}

for f in "$BUILD/bin/pvhost" "$BUILD/bin/pvctl" "$BUILD/bin/pv-blkback" \
         "$BUILD/bench/blk-host" "$BUILD/guests/blkcheck.elf"; do
    [ -e "$f" ] || { echo "$prog: $f missing (run make first)" >&2; exit 1; }
done
# The platforms the guests run on, each in the same rounds against the
# same host baselines: BENCH_PLATFORMS, else kvm and proc where /dev/kvm
# is usable, and proc alone (said once) where it is not.
if [ -n "${BENCH_PLATFORMS:-}" ]; then
    PLATFORMS=$BENCH_PLATFORMS
elif { : <>/dev/kvm; } 2>/dev/null; then
    PLATFORMS="kvm proc"
else
    echo "$prog: SKIPPED the kvm platform: /dev/kvm is missing or not" \
        "usable; proc platform only" >&2
    PLATFORMS=proc
fi
RUN=$(mktemp -d /tmp/pvblkbench.XXXXXX) || exit 1
IMG=${BLK_BENCH_IMG:-$RUN/disk.img}
MEM=$RUN/mem
hugemem=0
cleanup() {
    "$BUILD/bin/pvhost" stop -r "$RUN" >/dev/null 2>&1
    [ "$hugemem" = 1 ] && umount -l "$MEM" 2>/dev/null
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM
if [ ! -e "$IMG" ]; then
    # real blocks, not a sparse file: both sides then read the same media;
    # written back first, so no writeback runs under the baselines
    dd if=/dev/urandom of="$IMG" bs=1M count=1024 conv=fsync status=none ||
        { echo "$prog: cannot create $IMG" >&2; exit 1; }
fi
mkdir -p "$MEM"
if mount -t tmpfs -o huge=always,size=1g,mode=0700 pvbench-mem "$MEM" \
    2>/dev/null; then
    hugemem=1
else
    echo "$prog: cannot mount a huge-page tmpfs (not root?): the guest" \
        "runs on 4 KiB pages only" >&2
fi

cat >"$RUN/bench.cfg" <<CFG
name = "blkbench"
memory = 64
kernel = "$root/$BUILD/guests/blkcheck.elf"
cmdline = "mode=bench mb=$MB secs=$SECS qd=$QD seqqd=$SEQQD inplace=1"
disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]
CFG
for p in $PLATFORMS; do
    sed "s/^name = .*/&\nplatform = \"$p\"/" "$RUN/bench.cfg" \
        >"$RUN/bench-$p.cfg"
    sed 's/ inplace=1//' "$RUN/bench-$p.cfg" >"$RUN/bench-copy-$p.cfg"
done

# One guest run on a fresh host side; $1: config, the rest: pvisor options.
guest_run() {
    cfg=$1
    shift
    "$BUILD/bin/pvhost" stop -r "$RUN" >/dev/null 2>&1
    "$BUILD/bin/pvhost" start -r "$RUN" -- "$@" >/dev/null ||
        { echo "$prog: pvhost start failed" >&2; return 1; }
    timeout $((SECS * 4 + 120)) "$BUILD/bin/pvctl" -r "$RUN" create \
        -c "$cfg" 2>"$RUN/pvctl.err" ||
        { echo "$prog: guest run failed:" >&2; cat "$RUN/pvctl.err" >&2;
          return 1; }
}

# Interleaved rounds, best of each configuration: whichever runs second
# also finds the file warm in the caches below this machine, and the
# storage under this machine swings from run to run.
host=
host_thp=
declare -A guest guest_def
memargs=
[ "$hugemem" = 1 ] && memargs="--mem-path $MEM"
# a round that lost a result fails the bench: no silent gaps
need() {
    for key in seq-write seq-read rand-read-4k; do
        echo "$1" | grep -q "^blkbench: $key " || {
            echo "$prog: round $r: no $key result in:" >&2
            echo "$1" >&2
            exit 1
        }
    done
}
for r in $(seq "$ROUNDS"); do
    echo "$prog: round $r/$ROUNDS: host, host (THP buffer), then on" \
        "$PLATFORMS: guest (set up for I/O), guest (defaults)" >&2
    h=$("$BUILD/bench/blk-host" "$IMG" "$MB" "$SECS" "$QD" "$SEQQD") ||
        { echo "$prog: host baseline failed" >&2; exit 1; }
    ht=$("$BUILD/bench/blk-host" "$IMG" "$MB" "$SECS" "$QD" "$SEQQD" thp) ||
        { echo "$prog: host baseline (thp) failed" >&2; exit 1; }
    need "$h"
    need "$ht"
    for p in $PLATFORMS; do
        # shellcheck disable=SC2086 # memargs: zero or two words
        g=$(guest_run "$RUN/bench-$p.cfg" $memargs) ||
            { echo "$g" >&2; exit 1; }
        gd=$(guest_run "$RUN/bench-copy-$p.cfg") ||
            { echo "$gd" >&2; exit 1; }
        need "$g"
        need "$gd"
        guest[$p]="${guest[$p]:-}
$g"
        guest_def[$p]="${guest_def[$p]:-}
$gd"
    done
    host="$host
$h"
    host_thp="$host_thp
$ht"
done

# best value of key $2 in the "blkbench: KEY VALUE ..." lines of $1
value() {
    echo "$1" | awk -v k="$2" '$2 == k && (m == "" || $3 + 0 > m) { m = $3 + 0 }
        END { print m }'
}
# row LABEL GUEST_RESULTS HOST_RESULTS KEY TARGET ("-": none)
row() {
    g=$(value "$2" "$4")
    h=$(value "$3" "$4")
    r=$(awk -v g="${g:-0}" -v h="${h:-0}" 'BEGIN { if (h > 0)
        printf "%.2fx", g / h; else print "-" }')
    if [ "$5" = - ]; then
        printf "%-44s %10s %10s %8s\n" "$1" "${g:--}" "${h:--}" "$r"
        return
    fi
    res=$(awk -v g="${g:-0}" -v h="${h:-0}" -v t="$5" 'BEGIN {
        print (h > 0 && g / h >= t) ? "PASS" : "MISS" }')
    printf "%-44s %10s %10s %8s %-8s %s\n" "$1" "${g:--}" "${h:--}" "$r" \
        ">=${5}x" "$res"
}
if [ "$hugemem" = 1 ]; then
    gdesc="in-place buffers, RAM in 2 MiB pages"
else
    gdesc="in-place buffers, RAM in 4 KiB pages: no huge tmpfs"
fi
thp_kb=$(echo "$host_thp" | awk '$2 == "thp-kb" && (m == "" || $3 + 0 < m) {
    m = $3 + 0 } END { print m }')
for p in $PLATFORMS; do
    printf "%-44s %10s %10s %8s %-8s %s\n" "block (pv-blkback), platform $p" \
        guest host ratio target result
    printf "  (guest: %s;\n   host: buffer in transparent huge pages, %s of" \
        "$gdesc" "${thp_kb:-?} KiB"
    printf " 16384 KiB huge in its worst round)\n"
    for spec in "seq-write:MB/s, 1 MiB, qd $SEQQD:0.9" \
                "seq-read:MB/s, 1 MiB, qd $SEQQD:0.9" \
                "rand-read-4k:IOPS, 4 KiB, qd $QD:0.7"; do
        IFS=: read -r key what target <<<"$spec"
        row "$key ($what)" "${guest[$p]}" "$host_thp" "$key" "$target"
    done
    printf "  other configurations, same rounds (no target):\n"
    for key in seq-write seq-read rand-read-4k; do
        row "$key: guest set up / host plain buffer" "${guest[$p]}" "$host" \
            "$key" -
        row "$key: guest defaults / host THP buffer" "${guest_def[$p]}" \
            "$host_thp" "$key" -
    done
done
