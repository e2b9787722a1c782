#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh: start the host side in a scratch run directory and boot the
# example guests: hello, ticker, smp, and bad-insn (a crash pvisor survives).
#
# usage: scripts/demo.sh [BUILD]      (make demo; from the repository root)
# The run directory is $PVISOR_RUN_DIR if set (kept afterwards), else a
# fresh mktemp -d directory (removed afterwards).
set -eu
set -o pipefail

BUILD=${1:-build}
cd "$(dirname "$0")/.."
EXAMPLES=guest-kit/examples
GUESTS=$BUILD/guests
STEP_TIMEOUT=30

bold=""
plain=""
if [ -t 1 ]; then
    bold=$(printf '\033[1m')
    plain=$(printf '\033[0m')
fi

step() {
    echo
    echo "${bold}=== $*${plain}"
}

log_tail() {
    if [ -n "${RUN_DIR:-}" ] && [ -f "$RUN_DIR/pvisor.log" ]; then
        echo "--- last lines of $RUN_DIR/pvisor.log:" >&2
        tail -n 25 "$RUN_DIR/pvisor.log" >&2
    fi
}

fail() {
    echo "demo: FAILED: $*" >&2
    log_tail
    exit 1
}

# run CMD...: show it, run it with a time limit, stop the demo if it fails.
run() {
    echo "\$ $*"
    local rc=0
    timeout --kill-after=5 "$STEP_TIMEOUT" "$@" || rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "'$*' did not finish within ${STEP_TIMEOUT}s"
    elif [ "$rc" -ne 0 ]; then
        fail "'$*' exited with status $rc"
    fi
}

# boot EXAMPLE DOMNAME: create the example guest (kept after it stops, so
# `pvctl list` can show how it ended), then stream its console.
boot() {
    run pvctl create "$EXAMPLES/$1.cfg" "kernel=\"$GUESTS/$1.elf\"" \
        "name=\"$2\"" 'on_poweroff="preserve"' 'on_crash="preserve"'
    run pvctl console "$2"
}

cleanup() {
    local rc=$?
    if [ "${HOST_STARTED:-0}" = 1 ]; then
        echo
        echo "${bold}=== Stopping the host side${plain}"
        "$BUILD/bin/pvhost" stop -r "$RUN_DIR" || rc=1
    fi
    if [ "${RUN_DIR_CREATED:-0}" = 1 ]; then
        rm -rf "$RUN_DIR"
    fi
    exit "$rc"
}

for p in pvctl pvhost pvisor; do
    [ -x "$BUILD/bin/$p" ] || fail "$BUILD/bin/$p is missing (run make first)"
done
for g in hello ticker smp bad-insn; do
    [ -f "$GUESTS/$g.elf" ] || fail "$GUESTS/$g.elf is missing (run make first)"
done

# One clear line when KVM is not usable.
if [ -x "$BUILD/tests/integration-tests" ]; then
    if ! why=$("$BUILD/tests/integration-tests" --kvm-check); then
        echo "demo: $why; pvisor needs a usable /dev/kvm" >&2
        exit 1
    fi
elif ! { : <>/dev/kvm; } 2>/dev/null; then
    echo "demo: /dev/kvm is missing or not accessible; pvisor needs a usable /dev/kvm" >&2
    exit 1
fi

trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${PVISOR_RUN_DIR:-}" ]; then
    RUN_DIR=$PVISOR_RUN_DIR
    RUN_DIR_CREATED=0
else
    RUN_DIR=$(mktemp -d /tmp/pvisor-demo.XXXXXX)
    RUN_DIR_CREATED=1
fi
export PVISOR_RUN_DIR=$RUN_DIR
PATH="$(cd "$BUILD/bin" && pwd):$PATH"
export PATH

step "Starting the host side in $RUN_DIR"
HOST_STARTED=1
run pvhost start -r "$RUN_DIR"

step "Host and hypervisor facts (pvctl info)"
run pvctl info

step "hello: boot a guest and show its console until it powers off"
boot hello gk-hello
run pvctl wait -t 10 gk-hello
run pvctl destroy gk-hello

step "ticker: timer events every 100 ms (pvctl list while it runs)"
run pvctl create "$EXAMPLES/ticker.cfg" "kernel=\"$GUESTS/ticker.elf\"" \
    'on_poweroff="preserve"'
sleep 0.3
run pvctl list
run pvctl console gk-ticker
run pvctl destroy gk-ticker

step "smp: a token passed between 4 vCPUs by IPIs"
boot smp gk-smp
run pvctl destroy gk-smp

step "bad-insn: a guest executes 'hlt' at CPL3 and crashes"
boot bad-insn gk-bad-insn
run pvctl list
list=$(pvctl list)
grep -Eq '^gk-bad-insn .*c-' <<<"$list" || fail "gk-bad-insn is not listed as crashed"
run pvctl list -l gk-bad-insn
echo "\$ pvctl dmesg | tail -n 12"
dmesg=$(timeout "$STEP_TIMEOUT" pvctl dmesg) || fail "pvctl dmesg failed"
tail -n 12 <<<"$dmesg"

step "pvisor survived: the crashed domain is only a record"
run pvctl list
run pvctl destroy gk-bad-insn
boot hello gk-hello-again
run pvctl destroy gk-hello-again

step "Done: pvisor ran every guest and is still up"
