#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# blkcheck-verify.py: checks from the host the patterns the blkcheck guest wrote.
#
#   scripts/blkcheck-verify.py IMAGE [SEED]
#
# Word w (0..63, little-endian 64-bit) of sector s holds
# (seed << 56) | (s << 8) | w in every region blkcheck writes (the list
# below mirrors guest-kit/examples/blkcheck.c). Prints
# "blkcheck-verify: N sectors OK" and exits 0, or names the first bad
# sector and exits 1.
import os
import struct
import sys

REGIONS = [(0, 1), (1, 7), (9, 16), (100, 88), (300, 96), (1000, 2048),
           (4000, 4096), (None, 1)]
ASYNC_BASE, ASYNC_N = 12000, 64


def main():
    if len(sys.argv) < 2:
        print("usage: blkcheck-verify.py IMAGE [SEED]", file=sys.stderr)
        return 2
    path = sys.argv[1]
    seed = int(sys.argv[2]) & 0xff if len(sys.argv) > 2 else 1
    sectors = os.path.getsize(path) // 512
    regions = [(sectors - 1 if s is None else s, n) for s, n in REGIONS]
    regions += [(ASYNC_BASE + i * 24, 8) for i in range(ASYNC_N)]
    total = 0
    with open(path, "rb") as f:
        for start, n in regions:
            f.seek(start * 512)
            data = f.read(n * 512)
            words = struct.unpack("<%dQ" % (n * 64), data)
            for i, word in enumerate(words):
                s, w = start + i // 64, i % 64
                want = (seed << 56) | (s << 8) | w
                if word != want:
                    print("blkcheck-verify: sector %d word %d: %016x, want "
                          "%016x" % (s, w, word, want))
                    return 1
            total += n
    print("blkcheck-verify: %d sectors OK" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
