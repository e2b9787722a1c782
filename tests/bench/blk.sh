#!/bin/bash
# SPDX-License-Identifier: MIT
# blk.sh: block bench: a guest on pv-blkback vs host O_DIRECT, same file.
#
#   tests/bench/blk.sh [BUILD]        (BUILD defaults to build)
#
# Starts its own host side (pvhost) in a temporary run directory, makes a
# 1 GiB image under /tmp (BLK_BENCH_IMG to choose another file or a block
# device), runs build/bench/blk-host (io_uring, O_DIRECT) and then the
# blkcheck guest in bench mode on the same file: 1 MiB sequential write
# and read at queue depth 4, 4 KiB random reads at queue depth 32.
# Prints one row per measurement: guest, host, guest/host.
# Knobs: BLK_BENCH_MB (512), BLK_BENCH_SECS (5), BLK_BENCH_QD (32),
# BLK_BENCH_ROUNDS (2: host and guest alternate, best of each is shown).
set -u
prog=blk.sh
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
BUILD=${1:-build}
MB=${BLK_BENCH_MB:-512}
SECS=${BLK_BENCH_SECS:-5}
QD=${BLK_BENCH_QD:-32}
SEQQD=4
ROUNDS=${BLK_BENCH_ROUNDS:-2}

for f in "$BUILD/bin/pvhost" "$BUILD/bin/pvctl" "$BUILD/bin/pv-blkback" \
         "$BUILD/bench/blk-host" "$BUILD/guests/blkcheck.elf"; do
    [ -e "$f" ] || { echo "$prog: $f missing (run make first)" >&2; exit 1; }
done
if ! { : <>/dev/kvm; } 2>/dev/null; then
    echo "$prog: SKIPPED: /dev/kvm is missing or not usable" >&2
    exit 77
fi
RUN=$(mktemp -d /tmp/pvblkbench.XXXXXX) || exit 1
IMG=${BLK_BENCH_IMG:-$RUN/disk.img}
cleanup() {
    "$BUILD/bin/pvhost" stop -r "$RUN" >/dev/null 2>&1
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM
if [ ! -e "$IMG" ]; then
    # real blocks, not a sparse file: both sides then read the same media;
    # written back first, so no writeback runs under the baselines
    dd if=/dev/urandom of="$IMG" bs=1M count=1024 conv=fsync status=none ||
        { echo "$prog: cannot create $IMG" >&2; exit 1; }
fi
"$BUILD/bin/pvhost" start -r "$RUN" >/dev/null ||
    { echo "$prog: pvhost start failed" >&2; exit 1; }

cat >"$RUN/bench.cfg" <<CFG
name = "blkbench"
memory = 64
kernel = "$root/$BUILD/guests/blkcheck.elf"
cmdline = "mode=bench mb=$MB secs=$SECS qd=$QD seqqd=$SEQQD"
disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]
CFG
# Interleaved rounds, best of each side: whichever runs second also finds
# the file warm in the caches below this machine, so one round alone
# favours the guest.
host=
guest=
for r in $(seq "$ROUNDS"); do
    echo "$prog: round $r/$ROUNDS: host baseline, then the guest" >&2
    h=$("$BUILD/bench/blk-host" "$IMG" "$MB" "$SECS" "$QD" "$SEQQD") ||
        { echo "$prog: host baseline failed" >&2; exit 1; }
    g=$(timeout $((SECS * 4 + 120)) "$BUILD/bin/pvctl" -r "$RUN" create \
        -c "$RUN/bench.cfg" 2>"$RUN/pvctl.err") ||
        { echo "$prog: guest run failed:" >&2; cat "$RUN/pvctl.err" >&2;
          echo "$g" >&2; exit 1; }
    host="$host
$h"
    guest="$guest
$g"
done

# best value of key $2 in the "blkbench: KEY VALUE ..." lines of $1
value() {
    echo "$1" | awk -v k="$2" '$2 == k && (m == "" || $3 + 0 > m) { m = $3 + 0 }
        END { print m }'
}
printf "%-34s %10s %10s %8s %-8s %s\n" "block (pv-blkback, io_uring)" guest \
    host ratio target result
for row in "seq-write:MB/s, 1 MiB, qd $SEQQD:0.9" \
           "seq-read:MB/s, 1 MiB, qd $SEQQD:0.9" \
           "rand-read-4k:IOPS, 4 KiB, qd $QD:0.7"; do
    IFS=: read -r key what target <<<"$row"
    g=$(value "$guest" "$key")
    h=$(value "$host" "$key")
    r=$(awk -v g="${g:-0}" -v h="${h:-0}" 'BEGIN { if (h > 0)
        printf "%.2fx", g / h; else print "-" }')
    res=$(awk -v g="${g:-0}" -v h="${h:-0}" -v t="$target" 'BEGIN {
        print (h > 0 && g / h >= t) ? "PASS" : "MISS" }')
    printf "%-34s %10s %10s %8s %-8s %s\n" "$key ($what)" "${g:--}" \
        "${h:--}" "$r" ">=${target}x" "$res"
done
