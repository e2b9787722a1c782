#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh: start the host side in a scratch run directory and boot the
# example guests: hello, ticker, smp, bad-insn (a crash pvisor survives),
# a vchan pair (grants, event channels, xenstore), blkcheck (the block
# split driver, checked from the host), Debian's GRUB Xen image
# (grub-xen-host, unmodified) reading an ext2 disk and answering a command
# typed on its console, and, as root with /dev/net/tun, two pingd guests
# on a bridge inside a network namespace the demo creates (pvdemo-PID) and
# deletes: Linux ping and a UDP echo between the guests.
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
    if [ -n "${NETNS:-}" ]; then
        ip netns del "$NETNS" 2>/dev/null || true
    fi
    if [ "${RUN_DIR_CREATED:-0}" = 1 ]; then
        rm -rf "$RUN_DIR"
    fi
    exit "$rc"
}

for p in pvctl pvhost pvisor; do
    [ -x "$BUILD/bin/$p" ] || fail "$BUILD/bin/$p is missing (run make first)"
done
for g in hello ticker smp bad-insn vchan-server vchan-client blkcheck pingd; do
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

# The network part needs root, /dev/net/tun and ip; its bridge, TAPs and
# addresses all live in a namespace of ours, where pv-netback runs too.
NETNS=
net_why=
if [ "$(id -u)" != 0 ]; then
    net_why="not root"
elif [ ! -c /dev/net/tun ]; then
    net_why="no /dev/net/tun"
elif ! command -v ip >/dev/null 2>&1 || ! command -v ping >/dev/null 2>&1; then
    net_why="ip or ping missing"
elif ! ip netns add "pvdemo-$$" 2>/dev/null; then
    net_why="cannot create a network namespace"
else
    NETNS=pvdemo-$$
    if ip -n "$NETNS" link set lo up &&
        ip -n "$NETNS" link add pvbr0 type bridge &&
        ip -n "$NETNS" addr add 10.99.0.1/24 dev pvbr0 &&
        ip -n "$NETNS" link set pvbr0 up; then
        export PVHOST_NETNS=$NETNS
    else
        net_why="cannot create a bridge in $NETNS"
    fi
fi

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

step "vchan: two guests talk through a granted page and an event channel"
run pvctl create "$EXAMPLES/vchan-server.cfg" \
    "kernel=\"$GUESTS/vchan-server.elf\"" 'on_poweroff="preserve"'
srv=$(pvctl domid gk-vchan-server) || fail "no domid for gk-vchan-server"
run pvctl create "$EXAMPLES/vchan-client.cfg" \
    "kernel=\"$GUESTS/vchan-client.elf\"" 'on_poweroff="preserve"' \
    "cmdline=\"server=$srv rounds=100\""
cli=$(pvctl domid gk-vchan-client) || fail "no domid for gk-vchan-client"
echo "# the toolstack introduces the client to the server through xenstore"
run pvctl store write "/local/domain/$srv/data/vchan/peer" "$cli"
run pvctl wait -t 20 gk-vchan-client
run pvctl store ls "/local/domain/$srv/data/vchan"
run pvctl console gk-vchan-client
run pvctl wait -t 10 gk-vchan-server
run pvctl destroy gk-vchan-client
run pvctl destroy gk-vchan-server

step "blkcheck: a PV disk (blkfront -> pv-blkback, io_uring) checked from the host"
IMG=$RUN_DIR/blkcheck.img
run truncate -s 16M "$IMG"
run pvctl create "$EXAMPLES/blkcheck.cfg" "kernel=\"$GUESTS/blkcheck.elf\"" \
    "disk=['format=raw, vdev=xvda, access=rw, target=$IMG']" \
    'on_poweroff="preserve"' "cmdline=\"dev=xvda seed=7 mode=check\""
run pvctl console blkcheck
run pvctl wait -t 20 blkcheck
run pvctl destroy blkcheck
if command -v python3 >/dev/null 2>&1; then
    run scripts/blkcheck-verify.py "$IMG" 7
fi

# wait_log DOMNAME TEXT: poll the console log (60 s at most) for TEXT.
wait_log() {
    for _ in $(seq 600); do
        grep -qF "$2" "$RUN_DIR/console/$1.log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "no '$2' on $1's console within 60 s"
}

# The console log without GRUB's cursor movements and colours.
plain_log() {
    sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' "$RUN_DIR/console/$1.log"
}

GRUB_BIN=/usr/lib/grub-xen/grub-x86_64-xen.bin
if [ -r "$GRUB_BIN" ] && command -v mke2fs >/dev/null 2>&1; then
    step "GRUB: Debian's unmodified Xen PV image reads a PV disk and takes commands"
    mkdir -p "$RUN_DIR/grubfs/boot/grub"
    echo "a file on the guest's disk" >"$RUN_DIR/grubfs/readme.txt"
    printf '%s\n' 'echo "grub.cfg read from (xen/xvda)"' 'ls' 'ls (xen/xvda)/' \
        >"$RUN_DIR/grubfs/boot/grub/grub.cfg"
    run mke2fs -q -F -t ext2 -d "$RUN_DIR/grubfs" "$RUN_DIR/grub.img" 4M
    cat >"$RUN_DIR/grub-dom.cfg" <<EOF
name = "gk-grub"
memory = 64
kernel = "$GRUB_BIN"
disk = [ 'format=raw, vdev=xvda, access=ro, target=$RUN_DIR/grub.img' ]
EOF
    run pvctl create "$RUN_DIR/grub-dom.cfg"
    wait_log gk-grub "grub> "
    echo "\$ printf 'echo typed on the console\\n' | pvctl console gk-grub"
    { printf 'echo typed on the console\n'; sleep 2; } |
        timeout 10 pvctl console gk-grub >/dev/null 2>&1 || true
    wait_log gk-grub "typed on the console"
    echo "# GRUB's console (escape sequences removed):"
    plain_log gk-grub
    echo
    run pvctl destroy gk-grub
else
    step "GRUB: skipped ($GRUB_BIN or mke2fs missing: apt-get install grub-xen-host)"
fi

if [ -n "${PVHOST_NETNS:-}" ]; then
    step "pingd: two guests on bridge pvbr0 in namespace $NETNS (10.99.0.0/24)"
    run pvctl create "$EXAMPLES/pingd.cfg" "kernel=\"$GUESTS/pingd.elf\"" \
        'name="pingd-a"' \
        "vif=['mac=00:16:3e:63:00:02, bridge=pvbr0, ip=10.99.0.2/24']"
    for _ in $(seq 100); do
        grep -q "pingd: ready" "$RUN_DIR/console/pingd-a.log" 2>/dev/null &&
            break
        sleep 0.1
    done
    run pvctl network-list pingd-a
    run ip netns exec "$NETNS" ping -c 3 -i 0.2 10.99.0.2
    run pvctl create "$EXAMPLES/pingd.cfg" "kernel=\"$GUESTS/pingd.elf\"" \
        'name="pingd-b"' \
        "vif=['mac=00:16:3e:63:00:03, bridge=pvbr0, ip=10.99.0.3/24']" \
        "cmdline='peer=10.99.0.2 rounds=20'" 'on_poweroff="preserve"'
    run pvctl wait -t 20 pingd-b
    out=$(timeout "$STEP_TIMEOUT" pvctl console pingd-b 2>&1) || true
    echo "\$ pvctl console pingd-b"
    echo "$out"
    grep -q "udp round trips OK" <<<"$out" ||
        fail "no UDP echo between pingd-b and pingd-a"
    run pvctl destroy pingd-b
    run pvctl destroy pingd-a
else
    step "network: skipped ($net_why)"
fi

step "Done: pvisor ran every guest and is still up"
