#!/bin/sh
# SPDX-License-Identifier: MIT
# check-format.sh: check host and guest C sources against .clang-format.
#
# usage: scripts/check-format.sh [-v] [FILE...]
# Without FILEs it checks every *.c/*.h under the source directories
# (generated code in build*/ is never checked). -v shows the diagnostics.
# Exit status 1 when any file differs from what clang-format would write.
set -eu

cd "$(dirname "$0")/.."
verbose=0
if [ "${1:-}" = "-v" ]; then
    verbose=1
    shift
fi

if ! command -v clang-format >/dev/null 2>&1; then
    echo "check-format: clang-format is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
fi

list=$(mktemp)
trap 'rm -f "$list"' EXIT
if [ $# -gt 0 ]; then
    printf '%s\n' "$@" >"$list"
else
    for d in abi hypervisor dom0-tools guest-kit tests; do
        [ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' \)
    done | sort >"$list"
fi

total=0
bad=0
while IFS= read -r f; do
    total=$((total + 1))
    if ! clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1; then
        bad=$((bad + 1))
        echo "  $f"
        if [ "$verbose" = 1 ]; then
            clang-format --style=file --dry-run "$f" 2>&1 | head -n 20
        fi
    fi
done <"$list"

if [ "$bad" -gt 0 ]; then
    echo "check-format: $bad of $total files differ from .clang-format" \
        "(see: clang-format --dry-run FILE; fix: clang-format -i FILE)"
    exit 1
fi
echo "check-format: $total files clean"
