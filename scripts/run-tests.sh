#!/bin/sh
# SPDX-License-Identifier: MIT
# run-tests.sh: run the unit and integration tests, plain and under
# ASan/UBSan, and print one summary line: "N passed, N failed, N skipped".
#
# usage: scripts/run-tests.sh [BUILD]     (from the repository root)
#
# Each runner ends its output with "<name>: N passed, N failed, N skipped".
# A runner that crashes, prints no summary, runs past its time limit, or
# whose exit status disagrees with its own counts is counted as one more
# failure. Skipped tests are listed loudly with their reason; they never
# count as passed, and a skip is allowed only for a missing host facility
# (/dev/kvm, /dev/net/tun, ...), which the runner names on each SKIPPED
# line: any other skip is a failure.
#
# Time limits (seconds) per runner: RUN_TESTS_UNIT_TIMEOUT (default 600),
# RUN_TESTS_INTEGRATION_TIMEOUT (default 3600). Inside the integration
# runner each test has PVISOR_TEST_TIMEOUT (default 300).
set -eu

BUILD=${1:-build}
ASAN_BUILD=build-asan
UNIT_LIMIT=${RUN_TESTS_UNIT_TIMEOUT:-600}
INTEGRATION_LIMIT=${RUN_TESTS_INTEGRATION_TIMEOUT:-3600}
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0
problems=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/skipped"

note_problem() {
    problems="$problems
  - $1"
    failed=$((failed + 1))
}

# run_runner KIND TAG PROGRAM [ARGS...]: KIND is "unit" or "integration",
# TAG "" for the plain build or "[asan]".
run_runner() {
    kind=$1 tag=$2
    label="$kind$tag"
    shift 2
    log="$tmp/$kind$([ -z "$tag" ] || echo .asan).log"
    echo
    echo "==== $label: $*"
    if [ ! -x "$1" ]; then
        note_problem "$label: $1 was not built"
        return 0
    fi
    rc=0
    limit=$UNIT_LIMIT
    [ "$kind" = unit ] || limit=$INTEGRATION_LIMIT
    # The runner's output goes to the terminal and to a log we parse.
    # timeout(1) runs it in a process group of its own and, at the limit,
    # kills that group (daemons a hung test left behind included).
    { timeout -k 30 "$limit" "$@" 2>&1 ||
        echo "run-tests: exit status $?"; } | tee "$log"
    if grep -q '^run-tests: exit status ' "$log"; then
        rc=$(sed -n 's/^run-tests: exit status \([0-9]*\)$/\1/p' "$log" |
            tail -n 1)
    fi
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        hung=$(grep -E '^  Test: ' "$log" | tail -n 1 | sed 's/^  Test: //')
        note_problem "$label: runner killed after its limit of $limit s (last test started: ${hung:-none})"
        return 0
    fi
    line=$(grep -E "^$kind: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$" \
        "$log" | tail -n 1 || true)
    if [ -z "$line" ]; then
        note_problem "$label: runner crashed or printed no summary (exit status $rc)"
        return 0
    fi
    # shellcheck disable=SC2086 # split "kind: P passed, F failed, S skipped"
    set -- $line
    p=$2 f=$4 s=$6
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        note_problem "$label: runner exited with status $rc after reporting no failures (crash or sanitizer report at exit?)"
    elif [ "$rc" -eq 0 ] && [ "$f" -ne 0 ]; then
        note_problem "$label: runner reported $f failures but exited 0"
    fi
    # "SKIPPED integration/suite/test: reason (missing host facility: F)"
    # -> "NAME[TAG]<tab>reason<tab>F"
    sed -n "s|^SKIPPED \([^ ]*\): \(.*\) (missing host facility: \([^()]*\))$|\1$tag	\2	\3|p" \
        "$log" >>"$tmp/skipped"
    grep '^SKIPPED ' "$log" | grep -v ' (missing host facility: [^()]*)$' |
        while IFS= read -r l; do
            echo "$label: skipped for no missing host facility: $l"
        done >"$tmp/badskip" || true
    # Such a skip is a failure (note_problem counts it), not a skip.
    while IFS= read -r l; do
        note_problem "$l"
        skipped=$((skipped - 1))
    done <"$tmp/badskip"
}

run_build() {
    b=$1 tag=$2
    run_runner unit "$tag" "$b/tests/unit-tests"
    if [ -x "$b/tests/integration-tests" ]; then
        run_runner integration "$tag" "$b/tests/integration-tests" "$b"
    elif [ -d tests/integration ]; then
        note_problem "integration$tag: $b/tests/integration-tests was not built"
    fi
}

run_build "$BUILD" ""

# The ASan/UBSan pass: the same runners built with SAN=1. A parent make's
# jobserver is not passed to this script, so start afresh with -j2 and
# keep only the parent's variable assignments (e.g. V=1).
echo
echo "==== building $ASAN_BUILD (ASan/UBSan)"
vars=""
case "${MAKEFLAGS:-}" in
*" -- "*) vars=${MAKEFLAGS#* -- } ;;
esac
# shellcheck disable=SC2086 # $vars is a list of VAR=value words
if MAKEFLAGS="" MFLAGS="" make --no-print-directory -j2 $vars asan; then
    run_build "$ASAN_BUILD" "[asan]"
else
    note_problem "make asan failed: the ASan/UBSan pass did not run"
fi

echo
if [ -n "$problems" ]; then
    echo "PROBLEMS:$problems"
fi
if [ "$skipped" -gt 0 ]; then
    # One loud line per distinct reason, naming the missing host facility
    # and the skipped tests.
    cut -f2,3 "$tmp/skipped" | sort -u | while IFS='	' read -r why fac; do
        names=$(awk -F '\t' -v w="$why" '$2 == w { print $1 }' \
            "$tmp/skipped" | tr '\n' ' ')
        count=$(awk -F '\t' -v w="$why" '$2 == w' "$tmp/skipped" | wc -l)
        echo "SKIPPED $count tests (missing host facility: $fac): $why: ${names% }"
    done
    listed=$(wc -l <"$tmp/skipped")
    if [ "$listed" -ne "$skipped" ]; then
        echo "SKIPPED $((skipped - listed)) more tests (see the output above)"
    fi
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
