#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-seeds.py: writes the small seed corpora in tests/fuzz/corpus/.
#
# Each seed is a well-formed input the harness understands (a valid ELF
# image, an xl.cfg, xenstore messages, framed management requests, ring
# requests), so the fuzzers start from the parsers' deep paths. Run it
# again after changing a harness's input format.
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

XS = dict(DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
          TRANSACTION_START=6, TRANSACTION_END=7, INTRODUCE=8, RELEASE=9,
          GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13, SET_PERMS=14,
          IS_DOMAIN_INTRODUCED=17, SET_TARGET=19, DIRECTORY_PART=23)


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def xsmsg(kind, payload, tx=0, req=1):
    return struct.pack("<IIII", XS[kind], req, tx, len(payload)) + payload


def store_socket():
    # [client][len u16][bytes]
    def step(client, data):
        return bytes([client]) + struct.pack("<H", len(data)) + data
    put("store_socket", "write-read",
        step(0, xsmsg("WRITE", b"/local/domain/5/data/k\0v")) +
        step(0, xsmsg("READ", b"/local/domain/5/data/k\0")) +
        step(0, xsmsg("DIRECTORY", b"/local/domain/5\0")))
    put("store_socket", "watch-txn",
        step(0, xsmsg("WATCH", b"/a\0tok\0")) +
        step(0, xsmsg("TRANSACTION_START", b"\0")) +
        step(0, xsmsg("WRITE", b"/a/b\0x", tx=1)) +
        step(0, xsmsg("TRANSACTION_END", b"T\0", tx=1)) +
        step(0, xsmsg("UNWATCH", b"/a\0tok\0")))
    put("store_socket", "introduce-guest",
        step(0, xsmsg("INTRODUCE", b"5\x0017\x009\0")) +
        step(0, xsmsg("SET_PERMS", b"/local/domain/5\0n5\0r0\0")) +
        step(1, xsmsg("WRITE", b"data/x\0hello")) +
        step(1, xsmsg("GET_PERMS", b"data/x\0")) +
        step(2, xsmsg("READ", b"/local/domain/5/data/x\0")) +
        step(0, xsmsg("RELEASE", b"5\0")))


def store_ring():
    # op 0: [0][plen u16][type][req][tx][payload]
    def msg(kind, payload, tx=0):
        return (bytes([0]) + struct.pack("<H", len(payload)) +
                bytes([XS[kind], 1, tx]) + payload)
    put("store_ring", "requests",
        msg("WRITE", b"data/k\0v") + msg("READ", b"data/k\0") +
        msg("WATCH", b"data\0t\0") + bytes([4]) +
        msg("TRANSACTION_START", b"\0") + msg("RM", b"data/k\0", tx=1) +
        msg("TRANSACTION_END", b"T\0", tx=1) + bytes([4]))
    put("store_ring", "hostile-index",
        msg("GET_DOMAIN_PATH", b"3\0") + bytes([2]) +
        struct.pack("<I", 0x10000))


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def elf():
    vb = 0xffffffff80000000
    size = 0x3100
    img = bytearray(size)
    notes = (note("Xen", 6, b"pvtest\0") + note("Xen", 5, b"xen-3.0\0") +
             note("Xen", 8, b"generic\0") +
             note("Xen", 3, struct.pack("<Q", vb)) +
             note("Xen", 1, struct.pack("<Q", vb + 0x10)) +
             note("Xen", 2, struct.pack("<Q", vb + 0x1000)))
    ehdr = (b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9 +
            struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, vb + 0x10, 64, 0, 0,
                        64, 56, 3, 64, 0, 0))
    img[0:len(ehdr)] = ehdr
    ph = struct.pack("<IIQQQQQQ", 4, 4, 0x200, 0, 0, len(notes),
                     len(notes), 4)
    ph += struct.pack("<IIQQQQQQ", 1, 5, 0x1000, vb, vb, 0x2000, 0x2000,
                      0x1000)
    ph += struct.pack("<IIQQQQQQ", 1, 6, 0x3000, vb + 0x2000, vb + 0x2000,
                      0x100, 0x3000, 0x1000)
    img[64:64 + len(ph)] = ph
    img[0x200:0x200 + len(notes)] = notes
    for i in range(0x1000, size):
        img[i] = (i * 13 + 1) & 0xff
    put("elf", "guestkit-like.elf", bytes(img))


def cfg():
    put("cfg", "hello.cfg", b'name = "hello"\nmemory = 32\nvcpus = 2\n'
        b'kernel = "hello.elf"\ncmdline = "exit=3"\n'
        b'on_poweroff = "destroy"\non_crash = "preserve"\n')
    put("cfg", "devices.cfg",
        b'memory=64\nname="d"\nkernel="k"\n'
        b"disk = [ 'format=raw, vdev=xvda, access=rw, target=/d.img',\n"
        b"         '/e.img,raw,xvdb,ro' ]\n"
        b"vif = [ 'mac=00:16:3e:00:00:02, bridge=pvbr0, ip=10.0.0.2/24' ]\n"
        b"# comment\nextra = 'a b'\n")


def pb_varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num, wt, payload):
    key = pb_varint((num << 3) | wt)
    if wt == 0:
        return key + pb_varint(payload)
    return key + pb_varint(len(payload)) + payload


def mgmt():
    def req(rid, op_num, body):
        m = pb_field(1, 0, 1) + pb_field(2, 0, rid) + pb_field(op_num, 2, body)
        return struct.pack(">I", len(m)) + m
    hello = pb_field(1, 2, b"fuzz")
    put("mgmt", "hello-list-dmesg",
        req(1, 10, hello) + req(2, 16, b"") + req(3, 18, b"") +
        req(4, 17, b""))
    create = pb_field(1, 2, b"fz") + pb_field(2, 0, 4096) + pb_field(3, 0, 1)
    put("mgmt", "create-console-wait",
        req(1, 11, create) + req(2, 19, pb_field(1, 0, 1)) +
        req(3, 22, pb_field(1, 0, 1)) + req(4, 20, pb_field(1, 0, 1)) +
        req(5, 26, pb_field(1, 0, 1) + pb_field(2, 2, b"\x01\x02")))


def hypercall():
    # [who][nr][5 x (how, value)]
    def hc(who, nr, *args):
        out = bytes([who, nr])
        for a in args:
            out += a
        return out
    raw = lambda v: bytes([0]) + struct.pack("<Q", v)
    small = lambda v: bytes([2, v])
    scratch = lambda off: bytes([1]) + struct.pack("<H", off)
    # write scratch: [0xc0|dom][off u16][len][bytes]
    alloc_unbound = struct.pack("<HHI", 0x7ff0, 8, 0)
    put("hypercall", "evtchn",
        bytes([0xc0]) + struct.pack("<H", 0) + bytes([len(alloc_unbound)]) +
        alloc_unbound +
        hc(0, 32, small(6), scratch(0), raw(0), raw(0), raw(0)) +
        hc(1, 17, small(0), raw(0), raw(0), raw(0), raw(0)))
    setup = struct.pack("<HIQ", 0x7ff0, 1, 0) + b"\0" * 2
    put("hypercall", "gnttab",
        bytes([0xc0]) + struct.pack("<H", 0) + bytes([len(setup)]) + setup +
        hc(0, 20, small(2), scratch(0), small(1), raw(0), raw(0)) +
        hc(0, 29, small(0), scratch(0x100), raw(0), raw(0), raw(0)))


def blkback():
    # [mode][op 0: request slot (112 bytes)][op 4: complete]
    req = struct.pack("<BBHQQ", 0, 1, 0, 1, 0)  # read, 1 seg, id 1, sector 0
    req += struct.pack("<IBBH", 3, 0, 7, 0)
    req = req.ljust(112, b"\0")
    wr = struct.pack("<BBHQQ", 1, 2, 0, 2, 8) + struct.pack("<IBBH", 4, 0, 7, 0)
    wr += struct.pack("<IBBH", 5, 0, 7, 0)
    wr = wr.ljust(112, b"\0")
    put("blkback", "read-write", bytes([1]) + bytes([0]) + req + bytes([4]) +
        bytes([0]) + wr + bytes([4]))


def netback():
    # [rx_notify][op 0: tx request 12 bytes][op 1: rx request 8 bytes]
    tx = struct.pack("<IHHHH", 1, 0, 0, 1, 60)  # gref 1, offset 0, flags, id, size
    rx = struct.pack("<HHI", 1, 0, 2)           # id 1, pad, gref 2
    frame = b"\xff" * 6 + b"\x00\x16\x3e\x00\x00\x02" + b"\x08\x00" + b"\0" * 46
    put("netback", "tx-rx", bytes([1]) + bytes([0]) + tx + bytes([1]) + rx +
        bytes([5]) + struct.pack("<H", len(frame)) + frame)


for fn in (store_socket, store_ring, elf, cfg, mgmt, hypercall, blkback,
           netback):
    fn()
sys.exit(0)
