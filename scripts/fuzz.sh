#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh: runs every libFuzzer harness of BUILD/fuzz for SECONDS each.
#
#   scripts/fuzz.sh BUILD SECONDS [TARGET...]
#
# Each harness starts from its seeds (tests/fuzz/corpus/TARGET, read only)
# and the corpus it grew before (BUILD/fuzz-corpus/TARGET); crashes,
# leaks and timeouts are written to BUILD/fuzz-artifacts/TARGET/. Prints
# one line per target: executions, coverage (edges), corpus units,
# findings; exits 1 if any harness found something. Runs at nice 19.
set -eu

build=${1:?usage: fuzz.sh BUILD SECONDS [TARGET...]}
secs=${2:?usage: fuzz.sh BUILD SECONDS [TARGET...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
targets=${*:-"store_socket store_ring elf cfg mgmt hypercall blkback netback"}
failed=0

printf '%-14s %10s %8s %8s %7s  %s\n' target execs exec/s cov corpus findings
for t in $targets; do
    bin=$build/fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin missing (make fuzz builds it)" >&2
        failed=1
        continue
    fi
    corpus=$build/fuzz-corpus/$t
    art=$build/fuzz-artifacts/$t
    log=$build/fuzz-logs/$t.log
    mkdir -p "$corpus" "$art" "$(dirname "$log")"
    rc=0
    nice -n 19 "$bin" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/" "$corpus" "$root/tests/fuzz/corpus/$t" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    units=$(find "$corpus" -type f | wc -l)
    found=$(find "$art" -type f | wc -l)
    what=none
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        what="$found file(s) in $art (exit $rc; see $log)"
        failed=1
    fi
    printf '%-14s %10s %8s %8s %7s  %s\n' "$t" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "$units" "$what"
done
exit $failed
