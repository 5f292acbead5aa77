#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""redirect_craft: owner redirects as another node would send them, for
selftests/sync_redirect.sh, written from Documentation/sync.rst ("Owner
redirect"), not from the kernel code.

  redirect_craft.py --key HEX --src A --dst B [--node N] [--bad-mac]
                    [--port P] --client C --vip V --vport VP SPORT...

sends to B:P (default 7788), from A, one redirect a client source port:
UDP payload = header (magic "NFLR", version 1, flags 0, node N, pad),
16-byte MAC (keyed BLAKE2s over the header and the inner packet, under
K(A->B) = BLAKE2s-256(key, "nflb sync" || A || B)), inner IPv4 packet (a
TCP SYN C:SPORT -> V:VP).  --bad-mac flips a bit of the MAC.
"""
import argparse
import hashlib
import socket
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(client, sport, vip, vport):
    src, dst = socket.inet_aton(client), socket.inet_aton(vip)
    tcp = struct.pack("!HHIIBBHHH", sport, vport, 0x1000 + sport, 0,
                      5 << 4, 0x02, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sport, 0x4000,
                     64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--node", type=int, default=3)
    ap.add_argument("--port", type=int, default=7788)
    ap.add_argument("--bad-mac", action="store_true")
    ap.add_argument("--client", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--vport", type=int, required=True)
    ap.add_argument("sports", type=int, nargs="+")
    a = ap.parse_args()

    key = bytes.fromhex(a.key)
    dkey = hashlib.blake2s(b"nflb sync" + socket.inet_aton(a.src) +
                           socket.inet_aton(a.dst), key=key,
                           digest_size=32).digest()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    for sport in a.sports:
        hdr = b"NFLR" + struct.pack("!BBBB", 1, 0, a.node, 0)
        inner = syn(a.client, sport, a.vip, a.vport)
        mac = bytearray(hashlib.blake2s(hdr + inner, key=dkey,
                                        digest_size=16).digest())
        if a.bad_mac:
            mac[0] ^= 1
        s.sendto(hdr + bytes(mac) + inner, (a.dst, a.port))


if __name__ == "__main__":
    main()
