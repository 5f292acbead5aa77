#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""redirect_craft: owner redirects as another node would send them, for
selftests/sync_redirect*.sh, written from Documentation/sync.rst ("Owner
redirect"), not from the kernel code.

  redirect_craft.py --key HEX --src A --dst B [--node N] [--bad-mac]
                    [--frag] [--port P] [--version V] [--label L]
                    --client C --vip V --vport VP SPORT...

sends to B:P (default 7788), from A, one redirect a client source port:
UDP payload = header (magic "NFLR", version 2, flags 0, node N, pad),
16-byte MAC (keyed BLAKE2s over the header and the inner packet, under
R(A->B) = BLAKE2s-256(key, "nflb redirect" || A || B), the addresses 4 or
16 bytes), inner packet (a TCP SYN C:SPORT -> V:VP).  --version and
--label make what an older node sent (version 1, keyed with sync's
label "nflb sync").  A and B are IPv4 or
IPv6 (the outer family); C and V too (the inner family, told apart by
the version nibble).  --bad-mac flips a bit of the MAC; --frag makes the
inner packet (IPv6 only) the first fragment of a bigger one (a fragment
header with more-fragments set), under a valid MAC.
"""
import argparse
import hashlib
import socket
import struct


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_syn(pseudo, sport, vport):
    tcp = struct.pack("!HHIIBBHHH", sport, vport, 0x1000 + sport, 0,
                      5 << 4, 0x02, 64240, 0, 0)
    return tcp[:16] + struct.pack("!H", csum(pseudo(len(tcp)) + tcp)) + \
        tcp[18:]


def syn4(client, sport, vip, vport):
    src, dst = socket.inet_aton(client), socket.inet_aton(vip)
    tcp = tcp_syn(lambda n: src + dst + struct.pack("!BBH", 0, 6, n),
                  sport, vport)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sport, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def syn6(client, sport, vip, vport, frag):
    src = socket.inet_pton(socket.AF_INET6, client)
    dst = socket.inet_pton(socket.AF_INET6, vip)
    tcp = tcp_syn(lambda n: src + dst + struct.pack("!IxxxB", n, 6),
                  sport, vport)
    nexthdr, ext = 6, b""
    if frag:
        # next header TCP, offset 0, more fragments, identification
        nexthdr, ext = 44, struct.pack("!BBHI", 6, 0, 1, sport)
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(ext) + len(tcp), nexthdr,
                     64, src, dst)
    return ip + ext + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--node", type=int, default=3)
    ap.add_argument("--port", type=int, default=7788)
    ap.add_argument("--bad-mac", action="store_true")
    ap.add_argument("--frag", action="store_true")
    ap.add_argument("--version", type=int, default=2)
    ap.add_argument("--label", default="nflb redirect")
    ap.add_argument("--client", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--vport", type=int, required=True)
    ap.add_argument("sports", type=int, nargs="+")
    a = ap.parse_args()

    fam = family(a.src)
    inner6 = family(a.client) == socket.AF_INET6
    if a.frag and not inner6:
        ap.error("--frag needs an IPv6 client and VIP")
    key = bytes.fromhex(a.key)
    dkey = hashlib.blake2s(a.label.encode() + socket.inet_pton(fam, a.src) +
                           socket.inet_pton(fam, a.dst), key=key,
                           digest_size=32).digest()
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    for sport in a.sports:
        hdr = b"NFLR" + struct.pack("!BBBB", a.version, 0, a.node, 0)
        if inner6:
            inner = syn6(a.client, sport, a.vip, a.vport, a.frag)
        else:
            inner = syn4(a.client, sport, a.vip, a.vport)
        mac = bytearray(hashlib.blake2s(hdr + inner, key=dkey,
                                        digest_size=16).digest())
        if a.bad_mac:
            mac[0] ^= 1
        s.sendto(hdr + bytes(mac) + inner, (a.dst, a.port))


if __name__ == "__main__":
    main()
