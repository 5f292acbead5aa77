#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Craft nflb sync datagrams (wire format v1, Documentation/sync.rst) for
selftests/sync_basic.sh, independently of the kernel's encoder: keyed
BLAKE2s-128 from Python's hashlib, the layout from the document.

Usage: sync_craft.py SRC DST KEYHEX NODE EPOCH MODE [ARGS]
  MODE heartbeat SEQ OUTFILE   send a heartbeat, keep its bytes in OUTFILE
  MODE replay FILE             send FILE's bytes again
  MODE wrongkey SEQ            a heartbeat under another key
  MODE short                   10 bytes: shorter than any datagram
  MODE badrec SEQ              valid MAC, a record whose length is not x4
  MODE session SEQ CLIENT CPORT VIP VPORT MEMBER MPORT [wrongkey]
                               one IPv4 TCP session record, established
Sends one UDP datagram from SRC (any port) to DST port 7788.
"""
import hashlib
import socket
import struct
import sys

MAGIC = 0x4e464c53
DATA, HEARTBEAT = 1, 2
TCP_ESTABLISHED = 2


def dgram(key, typ, node, epoch, seq, payload):
    hdr = struct.pack('!IBBBBQQQ', MAGIC, 1, typ, node, 0, epoch, seq, 0)
    body = hdr + payload
    return body + hashlib.blake2s(body, key=key, digest_size=16).digest()


def session_rec(owner, client, cport, vip, vport, member, mport):
    addrs = b''.join(socket.inet_aton(a) for a in (client, vip, member))
    rec = struct.pack('!BBHBBBBIIIIIBBHHHHH', 1, 4, 40 + len(addrs),
                      owner, socket.IPPROTO_TCP, TCP_ESTABLISHED, 1,
                      600000, 1000, 2000, 65535, 65535, 7, 7, 0,
                      cport, vport, mport, 0)
    return rec + addrs


def main(argv):
    src, dst, keyhex, node, epoch, mode = argv[1:7]
    key, node, epoch = bytes.fromhex(keyhex), int(node), int(epoch)
    args = argv[7:]
    wrong = bytes(b ^ 0x5a for b in key)
    if mode == 'heartbeat':
        out = dgram(key, HEARTBEAT, node, epoch, int(args[0]), bytes(8))
        with open(args[1], 'wb') as f:
            f.write(out)
    elif mode == 'replay':
        with open(args[0], 'rb') as f:
            out = f.read()
    elif mode == 'wrongkey':
        out = dgram(wrong, HEARTBEAT, node, epoch, int(args[0]), bytes(8))
    elif mode == 'short':
        out = b'NFLS' + bytes(6)
    elif mode == 'badrec':
        out = dgram(key, DATA, node, epoch, int(args[0]),
                    struct.pack('!BBH', 1, 4, 6) + bytes(4))
    elif mode == 'session':
        seq, client, cport, vip, vport, member, mport = args[:7]
        rec = session_rec(node, client, int(cport), vip, int(vport),
                          member, int(mport))
        out = dgram(wrong if args[7:] == ['wrongkey'] else key, DATA, node,
                    epoch, int(seq), rec)
    else:
        print('unknown mode ' + mode, file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(out, (dst, 7788))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
