#!/bin/bash
# SPDX-License-Identifier: MIT
# bench.sh: `make bench`: measure pvisor against same-run baselines, one table.
#
#   scripts/bench.sh [BUILD]      (BUILD defaults to build)
#
# Starts its own host side (pvhost) in a temporary run directory under /tmp
# and stops and removes everything it started on exit.
#
# Knobs (environment): BENCH_HC_N (exits per batch, 20000), BENCH_ROUNDS
# (interleaved rounds for rows 1-2 and the event channel row, 3),
# BENCH_COMPUTE_ROUNDS (150000000), BENCH_FL_RUNS (20), BENCH_IDLE_K (50),
# BENCH_EV_N (event channel round trips per batch, 1000), BENCH_XS_N
# (xenstore reads per batch, 1000), BENCH_GNT_K (granted pages, 256),
# BENCH_HOST (pvhost: the whole host side, pvstored included; pvisor:
# pvisor alone, no xenstore row), BENCH_SPLIT (0: skip the block and
# network sections, tests/bench/blk.sh and net.sh, which have their own
# knobs BLK_BENCH_MB, BLK_BENCH_SECS, BLK_BENCH_QD, NET_BENCH_SECS),
# BENCH_ALLOW_MISS (1: a row that misses its target does not fail the run).
# See docs/bench.md for what each row measures.
#
# Exit status: 0 when every measurement ran and every row with a target
# met it; 1 when something failed or a row missed its target (unless
# BENCH_ALLOW_MISS=1); 77 without a usable /dev/kvm.
set -u
set -o pipefail

prog=bench.sh
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
BUILD=${1:-build}
BIN=$BUILD/bin
BB=$BUILD/bench

HC_N=${BENCH_HC_N:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
CROUNDS=${BENCH_COMPUTE_ROUNDS:-150000000}
FL_RUNS=${BENCH_FL_RUNS:-20}
IDLE_K=${BENCH_IDLE_K:-50}
IDLE_MB=32
EV_N=${BENCH_EV_N:-1000}
XS_N=${BENCH_XS_N:-1000}
GNT_K=${BENCH_GNT_K:-256}

die() {
    echo "$prog: $*" >&2
    if [ -n "${RUN:-}" ] && [ -s "$RUN/pvctl.err" ]; then
        sed 's/^/  /' "$RUN/pvctl.err" >&2
    fi
    exit 1
}

for f in "$BIN/pvhost" "$BIN/pvisor" "$BIN/pvctl" "$BB/rawexit" \
         "$BB/compute-native" "$BB/pvbench" "$BB/bench-guest.elf" \
         "$BB/evtchn-echo" "$BB/xsread" "$BB/gntmap" "$BB/rawtrace"; do
    [ -x "$f" ] || [ -f "$f" ] || die "$f missing (run make first)"
done
# Without KVM only the proc platform's rows run (said once, loudly).
NO_KVM=
if [ ! -e /dev/kvm ]; then
    NO_KVM="/dev/kvm does not exist (no KVM on this host)"
elif ! { : <>/dev/kvm; } 2>/dev/null; then
    NO_KVM="/dev/kvm is not usable by $(id -un)"
fi
if [ -n "$NO_KVM" ]; then
    echo "$prog: SKIPPED the KVM rows: $NO_KVM; proc platform rows only" >&2
fi

RUN=$(mktemp -d /tmp/pvbench.XXXXXX) || die "mktemp failed"
# The result column of every table, kept past the first cleanup.
RESULTS=$(mktemp /tmp/pvbench-results.XXXXXX) || die "mktemp failed"
cleanup() {
    trap - EXIT INT TERM
    # Stopping pvisor destroys every domain it still runs.
    "$BIN/pvhost" stop -r "$RUN" >/dev/null 2>&1
    for pidfile in "$RUN"/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        case $pid in ''|*[!0-9]*) continue ;; esac
        kill -KILL "$pid" 2>/dev/null
    done
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The whole host side (pvisor and the dom0 services), as users start it;
# BENCH_HOST=pvisor starts pvisor alone (no dom0 services).
export PVISOR_RUN_DIR=$RUN
if [ "${BENCH_HOST:-pvhost}" = pvisor ]; then
    "$BIN/pvisor" --run-dir "$RUN" --daemon --pidfile "$RUN/pvisor.pid" \
        --log-file "$RUN/pvisor.log" || die "pvisor failed to start"
else
    "$BIN/pvhost" start -r "$RUN" >"$RUN/pvhost.out" 2>&1 ||
        die "pvhost start failed: $(cat "$RUN/pvhost.out")"
fi
PVISOR_PID=$(cat "$RUN/pvisor.pid") || die "no pvisor pidfile"

KERNEL=$(cd "$(dirname "$BB/bench-guest.elf")" && pwd)/bench-guest.elf
CFG=$RUN/bench.cfg
cat >"$CFG" <<EOF
name = "pvbench"
memory = $IDLE_MB
vcpus = 1
kernel = "$KERNEL"
cmdline = "mode=idle"
on_poweroff = "destroy"
on_crash = "destroy"
EOF

# Runs the bench guest with cmdline $1 under name $2; prints its console.
guest() {
    timeout 60 "$BIN/pvctl" create -q -c "$CFG" "cmdline=\"$1\"" \
        "name=\"$2\"" 2>>"$RUN/pvctl.err"
}

# Starts the bench guest with cmdline $1 under name $2 in the background
# (console in $RUN/$2.out, pvctl's pid in $RUN/$2.pid) and waits up to 30 s
# for a console line starting with $3. Fails on a "$4 error" line, or if
# the guest ends or the time passes first.
bg_guest() {
    timeout 120 "$BIN/pvctl" create -q -c "$CFG" "cmdline=\"$1\"" \
        "name=\"$2\"" >"$RUN/$2.out" 2>>"$RUN/pvctl.err" &
    local pid=$!
    echo "$pid" >"$RUN/$2.pid"
    for _ in $(seq 300); do
        grep -q "^$3" "$RUN/$2.out" && return 0
        grep -q "^$4 error" "$RUN/$2.out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    sed 's/^/  guest: /' "$RUN/$2.out" >&2
    return 1
}

# Waits for the background guest $1 (its pvctl) to end.
bg_wait() {
    local pid
    pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 0
    wait "$pid" 2>/dev/null
    rm -f "$RUN/$1.pid"
}

# Destroys the background guest $1 and waits for its pvctl.
bg_destroy() {
    "$BIN/pvctl" destroy "$1" >/dev/null 2>>"$RUN/pvctl.err"
    bg_wait "$1"
}

# min of field $1 (key=value) over the matching lines on stdin
min_of() {
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
        if (kv[1] == k && (m == "" || kv[2] + 0 < m)) m = kv[2] + 0 } }
        END { print m }'
}

# field $2 of the first line on stdin starting with $1
field() {
    awk -v p="$1" -v k="$2" 'index($0, p) == 1 { for (i = 1; i <= NF; i++) {
        split($i, kv, "="); if (kv[1] == k) { print kv[2]; exit } } }'
}

echo "$prog: running (about a minute and a half; pvisor log in $RUN)..." >&2

raw_ns=
if [ -z "$NO_KVM" ]; then
# ---- 1. null hypercall vs raw KVM exit, interleaved rounds ----
: >"$RUN/hc.txt"
: >"$RUN/raw.txt"
: >"$RUN/sc.txt"
for r in $(seq "$ROUNDS"); do
    "$BB/rawexit" "$HC_N" 2 >>"$RUN/raw.txt" || die "rawexit failed"
    guest "mode=hypercall n=$HC_N reps=2" "pvbench-hc-$r" | grep '^bench:' \
        >>"$RUN/hc.txt" || die "hypercall guest, round $r, failed"
    # The same hypercall through Xen's inline `syscall` transport.
    guest "mode=syscall n=$HC_N reps=2" "pvbench-sc-$r" | grep '^bench:' \
        >>"$RUN/sc.txt" || die "syscall hypercall guest, round $r, failed"
done
hc_ns=$(min_of total_ns <"$RUN/hc.txt")
raw_ns=$(min_of total_ns <"$RUN/raw.txt")
sc_ns=$(min_of total_ns <"$RUN/sc.txt")
[ -n "$hc_ns" ] || die "no hypercall result from the guest"
[ -n "$sc_ns" ] || die "no syscall hypercall result from the guest"
[ -n "$raw_ns" ] || die "no rawexit result"

# ---- 2. compute kernel: guest vs native, interleaved rounds ----
: >"$RUN/cg.txt"
: >"$RUN/cn.txt"
for r in $(seq "$ROUNDS"); do
    guest "mode=compute rounds=$CROUNDS reps=3" "pvbench-cp-$r" |
        grep '^bench:' >>"$RUN/cg.txt" ||
        die "compute guest, round $r, failed"
    "$BB/compute-native" "$CROUNDS" 3 >>"$RUN/cn.txt" ||
        die "compute-native failed"
done
cg_ns=$(min_of ns <"$RUN/cg.txt")
cn_ns=$(min_of ns <"$RUN/cn.txt")
[ -n "$cg_ns" ] || die "no compute result from the guest"
sums=$(cat "$RUN/cg.txt" "$RUN/cn.txt" |
       awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^checksum=/) print $i }' |
       sort -u | wc -l)
[ "$sums" = 1 ] || die "guest and native checksums differ: $RUN/cg.txt"

# ---- 3. create -> first console line ----
"$BB/pvbench" firstline -n "$FL_RUNS" "$BIN/pvctl" "$CFG" >"$RUN/fl.txt" \
    2>>"$RUN/pvctl.err" ||
    die "pvbench firstline failed"
"$BB/pvbench" api -n "$FL_RUNS" "$KERNEL" >>"$RUN/fl.txt" 2>>"$RUN/pvctl.err" ||
    die "pvbench api failed"
fl_ns=$(field "pvbench: firstline:" median_ns <"$RUN/fl.txt")
api_ns=$(field "pvbench: api_firstline:" median_ns <"$RUN/fl.txt")
build_ns=$(field "pvbench: api_create_build:" median_ns <"$RUN/fl.txt")

# ---- 4. host memory per idle domain ----
"$BB/pvbench" idle -k "$IDLE_K" -m "$IDLE_MB" -p "$PVISOR_PID" "$KERNEL" \
    >"$RUN/idle.txt" 2>>"$RUN/pvctl.err" || die "pvbench idle failed"
idle() { field "pvbench: idle:" "$1" <"$RUN/idle.txt"; }
av0=$(idle avail_before_kb)
av1=$(idle avail_after_kb)
cg0=$(idle memcg_before_kb)
cg1=$(idle memcg_after_kb)
touched=$(idle touched_kb)
ram=$(idle guest_ram_kb)
[ "${ram:--1}" -ge 0 ] ||
    die "pvbench idle found no guest RAM memfd of the idle domains"
anon=$(idle pvisor_anon_delta_kb)
pss=$(idle pvisor_pss_delta_kb)

# ---- 5. event channel round trip guest -> dom0 -> guest ----
# Interleaved rounds: rawexit's exit + eventfd echo through a second
# process, then a guest timing round trips to evtchn-echo.
: >"$RUN/evraw.txt"
: >"$RUN/ev.txt"
for r in $(seq "$ROUNDS"); do
    "$BB/rawexit" "$EV_N" 2 echo >>"$RUN/evraw.txt" ||
        die "rawexit echo failed"
    g=pvbench-ev-$r
    bg_guest "mode=evtchn n=$EV_N reps=2" "$g" "bench: mode=evtchn port=" \
        "bench: mode=evtchn" || die "evtchn guest did not announce its port"
    port=$(field "bench: mode=evtchn port=" port <"$RUN/$g.out")
    dom=$("$BIN/pvctl" domid "$g" 2>>"$RUN/pvctl.err") ||
        die "no domid for $g"
    "$BB/evtchn-echo" -t 20 "$dom" "$port" >>"$RUN/echo.txt" \
        2>>"$RUN/pvctl.err" &
    echo $! >"$RUN/echo.pid"
    bg_wait "$g"
    kill -TERM "$(cat "$RUN/echo.pid")" 2>/dev/null
    wait "$(cat "$RUN/echo.pid")" 2>/dev/null
    rm -f "$RUN/echo.pid"
    grep -q '^bench: mode=evtchn error' "$RUN/$g.out" &&
        die "evtchn guest: $(grep error "$RUN/$g.out")"
    grep '^bench: mode=evtchn path=' "$RUN/$g.out" >>"$RUN/ev.txt" ||
        die "evtchn guest, round $r, gave no result"
done
ev_fast=$(grep 'path=fast' "$RUN/ev.txt" | min_of total_ns)
ev_slow=$(grep 'path=slow' "$RUN/ev.txt" | min_of total_ns)
ev_raw=$(min_of total_ns <"$RUN/evraw.txt")
[ -n "$ev_fast" ] && [ -n "$ev_slow" ] ||
    die "no event channel result from the guest"
[ -n "$ev_raw" ] || die "no rawexit echo result"

# ---- 6. xenstore read latency, guest (xenbus ring) and dom0 (xs.h) ----
xs_guest=
xs_dom0=
if [ -S "$RUN/pvstored.sock" ]; then
    g=pvbench-xs
    bg_guest "mode=xsread n=$XS_N reps=3" "$g" "bench: mode=xsread done" \
        "bench: mode=xsread" || die "xenstore guest failed"
    dom=$("$BIN/pvctl" domid "$g" 2>>"$RUN/pvctl.err") ||
        die "no domid for $g"
    "$BB/xsread" -n "$XS_N" -r 3 "/local/domain/$dom/name" \
        >"$RUN/xsd.txt" 2>>"$RUN/pvctl.err" || die "xsread failed"
    bg_destroy "$g"
    xs_guest=$(grep '^bench: mode=xsread n=' "$RUN/$g.out" |
               min_of total_ns)
    xs_dom0=$(min_of total_ns <"$RUN/xsd.txt")
    [ -n "$xs_guest" ] && [ -n "$xs_dom0" ] || die "no xenstore result"
    grep -q "value=$g" "$RUN/xsd.txt" || die "dom0 read the wrong name"
fi

# ---- 7. grant map+unmap per page ----
g=pvbench-gnt
bg_guest "mode=grant k=$GNT_K" "$g" "bench: mode=grant first_ref=" \
    "bench: mode=grant" || die "grant guest failed"
first=$(field "bench: mode=grant first_ref=" first_ref <"$RUN/$g.out")
dom=$("$BIN/pvctl" domid "$g" 2>>"$RUN/pvctl.err") || die "no domid for $g"
"$BB/gntmap" -r 3 "$dom" "$first" "$GNT_K" >"$RUN/gnt.txt" \
    2>>"$RUN/pvctl.err" || die "gntmap failed"
bg_destroy "$g"
# ns per page: min over the batches of total_ns / pages
per_page() {
    awk -v m="$1" '$2 == "mode=" m { split($3, p, "="); split($4, t, "=");
        v = t[2] / p[2]; if (best == "" || v < best) best = v }
        END { print best }' "$RUN/gnt.txt"
}
gs=$(per_page grant-single)
gb=$(per_page grant-batch)
ms=$(per_page memfd-single)
mb=$(per_page memfd-batch)
[ -n "$gs" ] && [ -n "$gb" ] && [ -n "$ms" ] && [ -n "$mb" ] ||
    die "no grant result"

# ---- the table ----
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
flavour=kvm
for m in kvm_pvm kvm_intel kvm_amd; do
    [ -e /sys/module/$m ] && { flavour=$m; break; }
done

stamp=$(date -u '+%Y-%m-%d %H:%M UTC')
awk -v hc="$hc_ns" -v raw="$raw_ns" -v sc="$sc_ns" -v n="$HC_N" \
    -v cg="$cg_ns" -v cn="$cn_ns" -v cr="$CROUNDS" \
    -v fl="$fl_ns" -v api="$api_ns" -v bld="$build_ns" -v flr="$FL_RUNS" \
    -v av0="$av0" -v av1="$av1" -v tk="$touched" -v ram="$ram" \
    -v cg0="${cg0:--1}" -v cg1="${cg1:--1}" \
    -v anon="$anon" -v pss="$pss" -v k="$IDLE_K" -v best=$((ROUNDS * 2)) \
    -v evn="$EV_N" -v evf="$ev_fast" -v evs="$ev_slow" -v evr="$ev_raw" \
    -v xsn="$XS_N" -v xsg="${xs_guest:--1}" -v xsd="${xs_dom0:--1}" \
    -v gk="$GNT_K" -v gs="$gs" -v gb="$gb" -v ms="$ms" -v mb="$mb" \
    -v ctx="$cpu, $(nproc) CPUs, $flavour, $(uname -r), $stamp" '
function row(m, v, b, r, t, res) {
    printf "%-34s %-16s %-26s %-8s %-11s %s\n", m, v, b, r, t, res
}
function pf(ok) { return ok ? "PASS" : "MISS" }
BEGIN {
    print "pvisor bench: " ctx
    row("metric", "pvisor", "baseline (same run)", "ratio", "target",
        "result")
    hcu = hc / n; rawu = raw / n; q = hcu / rawu
    row("null hypercall (xen_version)", sprintf("%.2f us/call", hcu / 1000),
        sprintf("raw KVM exit %.2f us", rawu / 1000),
        sprintf("%.3fx", q), "<= 1.10x", pf(q <= 1.10))
    scu = sc / n
    row("  via syscall (no hypercall page)", sprintf("%.2f us/call", scu / 1000),
        sprintf("hypercall page %.2f us", hcu / 1000),
        sprintf("%.3fx", scu / hcu), "-", "info")
    s = cn / cg
    row(sprintf("compute kernel (%dM rounds)", cr / 1e6),
        sprintf("guest %.1f ms", cg / 1e6),
        sprintf("native %.1f ms", cn / 1e6),
        sprintf("%.3fx", s), ">= 0.98x", pf(s >= 0.98))
    row(sprintf("pvctl create -> 1st line (med %d)", flr),
        sprintf("%.2f ms", fl / 1e6),
        sprintf("in-process API %.2f ms", api / 1e6), "-", "<= 10 ms",
        pf(fl <= 10e6))
    row("  of which create+build (API)", sprintf("%.2f ms", bld / 1e6),
        "-", "-", "-", "info")
    # Growth charged to our memory cgroup (pvisor is in it) when there is
    # one: no other processes, no page cache. Else system MemAvailable.
    # What the host pays beyond the guest RAM the guest touched: the
    # private area pvisor keeps per domain counts (host memory for pvisor,
    # not guest RAM), shown on its own line.
    tot = av0 - av1; src = "MemAvailable"
    if (cg0 >= 0 && cg1 >= 0) { tot = cg1 - cg0; src = "memcg" }
    per = (tot - ram) / k
    row(sprintf("host memory per idle domain (%d)", k),
        sprintf("%.0f KiB", per),
        sprintf("touched RAM %.0f KiB/dom", ram / k), "-", "<= 1024 KiB",
        pf(per <= 1024))
    row("  of which pvisor private area", sprintf("%.0f KiB", (tk - ram) / k),
        "-", "-", "-", "info")
    row("  total growth (" src ")",
        sprintf("%.1f MiB", tot / 1024),
        sprintf("MemAvailable -%.1f MiB", (av0 - av1) / 1024), "-", "-",
        "info")
    row("  pvisor RssAnon / Pss per domain",
        sprintf("%.0f / %.0f KiB", anon / k, pss / k), "-", "-", "-",
        "info")
    # Event channel: fast path (pvisor_notify) against a raw KVM exit
    # round trip through a second process, measured in the same run.
    evfu = evf / evn; evsu = evs / evn; evru = evr / evn; q = evfu / evru
    row("evtchn RTT guest->dom0->guest",
        sprintf("%.2f us/rt", evfu / 1000),
        sprintf("raw exit+echo %.2f us", evru / 1000),
        sprintf("%.3fx", q), "<= 2.50x", pf(q <= 2.5))
    row("  slow path (EVTCHNOP_send)", sprintf("%.2f us/rt", evsu / 1000),
        sprintf("raw exit+echo %.2f us", evru / 1000),
        sprintf("%.3fx", evsu / evru), "-", "info")
    row("  fast path vs 2 x raw exit",
        sprintf("%.2f us/rt", evfu / 1000),
        sprintf("2 x raw exit %.2f us", 2 * rawu / 1000),
        sprintf("%.3fx", evfu / (2 * rawu)), "-", "info")
    if (xsg >= 0) {
        xg = xsg / xsn; xd = xsd / xsn
        row("xenstore read, guest (xenbus)", sprintf("%.2f us/read", xg / 1000),
            sprintf("dom0 xs_read %.2f us", xd / 1000),
            sprintf("%.3fx", xg / xd), "-", "info")
    } else {
        row("xenstore read", "n/a", "(no pvstored: BENCH_HOST=pvisor)",
            "-", "-", "info")
    }
    row(sprintf("grant map+unmap/page, 1 at a time"),
        sprintf("%.2f us/page", gs / 1000),
        sprintf("memfd mmap+munmap %.2f us", ms / 1000),
        sprintf("%.1fx", gs / ms), "-", "info")
    row(sprintf("grant map+unmap/page, batch of %d", gk),
        sprintf("%.2f us/page", gb / 1000),
        sprintf("memfd %d pages %.3f us", gk, mb / 1000),
        sprintf("%.0fx", gb / mb), "-", "info")
    printf "(row 1: best of %d batches each, row 2: best of %d runs " \
           "each, interleaved;\n evtchn: best of %d batches of %d round " \
           "trips each, interleaved;\n xenstore: best of 3 batches of %d " \
           "reads each; grants: best of 3 rounds, %d pages)\n", best,
           best * 3 / 2, best, evn, xsn, gk
}' | tee -a "$RESULTS"

fi # KVM rows

# ---- proc platform: the same guest as a traced host process ----
# Rows 1-3 again on the same pvisor, the domains created with
# platform="proc": null hypercall against the raw PTRACE_SYSEMU round trip
# (rawtrace) and, since KVM exists here, against the raw KVM exit above;
# compute against the native runs above; create -> first console line.
CFG_P=$RUN/bench-proc.cfg
sed 's/^name = .*/&\nplatform = "proc"/' "$CFG" >"$CFG_P"
: >"$RUN/hcp.txt"
: >"$RUN/rawt.txt"
: >"$RUN/cgp.txt"
: >"$RUN/cnp.txt"
for r in $(seq "$ROUNDS"); do
    "$BB/rawtrace" "$HC_N" 2 >>"$RUN/rawt.txt" || die "rawtrace failed"
    timeout 120 "$BIN/pvctl" create -q -c "$CFG_P" \
        "cmdline=\"mode=hypercall n=$HC_N reps=2\"" \
        "name=\"pvbench-hcp-$r\"" 2>>"$RUN/pvctl.err" | grep '^bench:' \
        >>"$RUN/hcp.txt"
    timeout 120 "$BIN/pvctl" create -q -c "$CFG_P" \
        "cmdline=\"mode=compute rounds=$CROUNDS reps=3\"" \
        "name=\"pvbench-cpp-$r\"" 2>>"$RUN/pvctl.err" | grep '^bench:' \
        >>"$RUN/cgp.txt"
    "$BB/compute-native" "$CROUNDS" 3 >>"$RUN/cnp.txt" ||
        die "compute-native failed"
done
cnp_ns=$(min_of ns <"$RUN/cnp.txt")
hcp_ns=$(min_of total_ns <"$RUN/hcp.txt")
rawt_ns=$(min_of total_ns <"$RUN/rawt.txt")
cgp_ns=$(min_of ns <"$RUN/cgp.txt")
"$BB/pvbench" firstline -n "$FL_RUNS" "$BIN/pvctl" "$CFG_P" >"$RUN/flp.txt" \
    2>>"$RUN/pvctl.err" || die "pvbench firstline (proc) failed"
flp_ns=$(field "pvbench: firstline:" median_ns <"$RUN/flp.txt")
"$BB/pvbench" idle -P proc -k "$IDLE_K" -m "$IDLE_MB" -p "$PVISOR_PID" \
    "$KERNEL" >"$RUN/idlep.txt" 2>>"$RUN/pvctl.err" ||
    die "pvbench idle (proc) failed"
idlep() { field "pvbench: idle:" "$1" <"$RUN/idlep.txt"; }
if [ -n "$hcp_ns" ] && [ -n "$rawt_ns" ] && [ -n "$cgp_ns" ] &&
   [ -n "$flp_ns" ]; then
    awk -v hc="$hcp_ns" -v raw="$rawt_ns" -v kraw="${raw_ns:-0}" -v n="$HC_N" \
        -v cg="$cgp_ns" -v cn="$cnp_ns" -v cr="$CROUNDS" -v fl="$flp_ns" \
        -v flr="$FL_RUNS" -v k="$IDLE_K" -v tk="$(idlep touched_kb)" \
        -v av0="$(idlep avail_before_kb)" -v av1="$(idlep avail_after_kb)" \
        -v cg0="$(idlep memcg_before_kb)" -v cg1="$(idlep memcg_after_kb)" '
    function row(m, v, b, r, t, res) {
        printf "%-34s %-16s %-26s %-8s %-11s %s\n", m, v, b, r, t, res
    }
    function pf(ok) { return ok ? "PASS" : "MISS" }
    BEGIN {
        print ""
        print "proc platform (same run, same pvisor, platform = \"proc\"):"
        hcu = hc / n; rawu = raw / n; kru = kraw / n; q = hcu / rawu
        row("null hypercall (xen_version)", sprintf("%.2f us/call", hcu / 1000),
            sprintf("raw SYSEMU rt %.2f us", rawu / 1000),
            sprintf("%.3fx", q), "<= 1.10x", pf(q <= 1.10))
        if (kru > 0)
            row("  vs the raw KVM exit above",
                sprintf("%.2f us/call", hcu / 1000),
                sprintf("raw KVM exit %.2f us", kru / 1000),
                sprintf("%.3fx", hcu / kru), "<= 1.00x", pf(hcu <= kru))
        s = cn / cg
        row(sprintf("compute kernel (%dM rounds)", cr / 1e6),
            sprintf("guest %.1f ms", cg / 1e6),
            sprintf("native %.1f ms", cn / 1e6),
            sprintf("%.3fx", s), ">= 0.99x", pf(s >= 0.99))
        row(sprintf("pvctl create -> 1st line (med %d)", flr),
            sprintf("%.2f ms", fl / 1e6), "-", "-", "<= 10 ms",
            pf(fl <= 10e6))
        # The stub processes are pvisor'"'"'s children: same memcg.
        tot = av0 - av1; src = "MemAvailable"
        if (cg0 != "" && cg1 != "" && cg0 >= 0 && cg1 >= 0) {
            tot = cg1 - cg0; src = "memcg"
        }
        per = (tot - tk) / k
        row(sprintf("host memory per idle domain (%d)", k),
            sprintf("%.0f KiB", per),
            sprintf("touched RAM %.0f KiB/dom", tk / k), "-", "<= 1024 KiB",
            pf(per <= 1024))
        row("  total growth (" src ")", sprintf("%.1f MiB", tot / 1024),
            "-", "-", "-", "info")
        print "(1000 domains, evtchn, xenstore, grants, block and network " \
              "on proc:\n not measured yet)"
    }'
else
    echo "$prog: proc platform rows: a result is missing (see $RUN)" >&2
fi

# ---- 8, 9. block and network: their own host sides, same run ----
# Each prints its rows with a host baseline measured right before it.
# BENCH_SPLIT=0 skips both (the table above is then the whole run).
if [ "${BENCH_SPLIT:-1}" != 0 ]; then
    cleanup
    trap 'rm -f "$RESULTS"' EXIT
    status=0
    for part in blk net mig; do
        echo
        bash "$root/tests/bench/$part.sh" "$BUILD" | tee -a "$RESULTS"
        rc=$?
        case $rc in
        0) ;;
        77) echo "($part: skipped, see the reason above)" ;;
        *) echo "$prog: tests/bench/$part.sh failed (status $rc)" >&2
           status=1 ;;
        esac
    done
else
    status=0
fi
misses=$(grep -c ' MISS$' "$RESULTS")
if [ "$misses" -gt 0 ]; then
    if [ "${BENCH_ALLOW_MISS:-0}" = 1 ]; then
        echo "$prog: $misses rows missed their target (BENCH_ALLOW_MISS=1:" \
            "not a failure)" >&2
    else
        echo "$prog: $misses rows missed their target:" >&2
        grep ' MISS$' "$RESULTS" | sed 's/^/  /' >&2
        echo "$prog: (BENCH_ALLOW_MISS=1 reports them without failing)" >&2
        status=1
    fi
fi
exit $status
