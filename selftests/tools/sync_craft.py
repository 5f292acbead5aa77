#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Craft nflb sync datagrams (wire format v2, Documentation/sync.rst) for
selftests/sync_basic.sh, independently of the kernel's encoder: keyed
BLAKE2s from Python's hashlib, the layout and the key derivation from the
document.

Usage: sync_craft.py SRC DST KEYHEX NODE EPOCH MODE [ARGS] [+ MODE [ARGS]]...
  MODE heartbeat SEQ OUTFILE   send a heartbeat, keep its bytes in OUTFILE
  MODE replay FILE             send FILE's bytes again
  MODE wrongkey SEQ            a heartbeat under another key
  MODE short                   10 bytes: shorter than any datagram
  MODE big                     2,000 bytes: longer than any datagram
  MODE badrec SEQ              valid MAC, a record whose length is not x4
  MODE bulkreq SEQ             a BULK_REQ (flags=4: the addressee's own
                               sessions only)
  MODE session SEQ CLIENT CPORT VIP VPORT MEMBER MPORT [wrongkey]
                               one IPv4 TCP session record, established
  MODE nackflood SEQ           wait (bound to SRC port 7788) for a datagram
                               from DST, check its MAC under the key of the
                               direction DST->SRC, then NACK its whole
                               history (0..127 below its seq) in as many
                               overlapping ranges as fit; prints its seq
  MODE capture IFACE FROM TO OUTFILE
                               (run where IFACE is) keep the UDP payload of
                               the next datagram FROM -> TO port 7788
  MODE spoof FROM FILE         send FILE's bytes to DST from address FROM
                               (raw IPv4 socket)
Options among ARGS, for the crafted datagram: node=N (sender node id),
epoch=E, to=N (addressee's node id; default 0), flags=N (header flags;
default 0), age=S (its timestamp S
seconds in the past; negative: ahead), dir=A,B (MAC under the key of the
direction A->B instead of SRC->DST).  Several MODEs joined by '+' are sent
in order from one process.  Sends to DST port 7788.
"""
import hashlib
import socket
import struct
import sys
import time

MAGIC = 0x4e464c53
VERSION = 2
DATA, HEARTBEAT, NACK, BULK_REQ = 1, 2, 3, 4
TCP_ESTABLISHED = 2
HDR = '!IBBBBQQQQB3x'          # 44 bytes
HDR_LEN = struct.calcsize(HDR)
MAC_LEN = 16
DGRAM_MAX = 1400


def dir_key(key, src, dst):
    """BLAKE2s-256 keyed with the shared key over "nflb sync" || src || dst."""
    msg = b'nflb sync' + socket.inet_aton(src) + socket.inet_aton(dst)
    return hashlib.blake2s(msg, key=key, digest_size=32).digest()


def mac(k, body):
    return hashlib.blake2s(body, key=k, digest_size=MAC_LEN).digest()


def dgram(k, typ, o, seq, payload):
    ts = time.time_ns() - int(float(o.get('age', 0)) * 1e9)
    hdr = struct.pack(HDR, MAGIC, VERSION, typ, int(o['node']),
                      int(o.get('flags', 0)),
                      int(o['epoch']), seq, 0, ts, int(o.get('to', 0)))
    body = hdr + payload
    return body + mac(k, body)


def session_rec(owner, client, cport, vip, vport, member, mport, wscale=7):
    addrs = b''.join(socket.inet_aton(a) for a in (client, vip, member))
    rec = struct.pack('!BBHBBBBIIIIIBBHHHHH', 1, 4, 40 + len(addrs),
                      owner, socket.IPPROTO_TCP, TCP_ESTABLISHED, 1,
                      600000, 1000, 2000, 65535, 65535, wscale, wscale, 0,
                      cport, vport, mport, 0)
    return rec + addrs


def send(src, dst, out, sock=None):
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if not sock:
        s.bind((src, 0))
    s.sendto(out, (dst, 7788))


def capture(iface, src, dst, outfile, timeout=10):
    # ETH_P_ALL: a bridge port hands ETH_P_IP frames to the bridge, not
    # to a tap of that protocol
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((iface, 0))
    s.settimeout(timeout)
    want = (socket.inet_aton(src), socket.inet_aton(dst))
    end = time.time() + timeout
    while time.time() < end:
        frame = s.recv(65535)
        if frame[12:14] != b'\x08\x00':
            continue
        pkt = frame[14:]
        if len(pkt) < 28 or pkt[9] != socket.IPPROTO_UDP:
            continue
        ihl = (pkt[0] & 15) * 4
        if (pkt[12:16], pkt[16:20]) != want:
            continue
        if struct.unpack('!H', pkt[ihl + 2:ihl + 4])[0] != 7788:
            continue
        ulen = struct.unpack('!H', pkt[ihl + 4:ihl + 6])[0]
        with open(outfile, 'wb') as f:
            f.write(pkt[ihl + 8:ihl + ulen])
        return 0
    print('nothing captured', file=sys.stderr)
    return 1


def spoof(src, dst, payload):
    udp = struct.pack('!HHHH', 7788, 7788, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.sendto(ip + udp, (dst, 0))


def nackflood(src, dst, key, o, seq):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 7788))
    s.settimeout(10)
    while True:
        data, frm = s.recvfrom(2048)
        if frm[0] == dst and len(data) >= HDR_LEN + MAC_LEN:
            break
    body, tag = data[:-MAC_LEN], data[-MAC_LEN:]
    if mac(dir_key(key, dst, src), body) != tag:
        print('MAC of the datagram from %s does not verify' % dst,
              file=sys.stderr)
        return 1
    top = struct.unpack(HDR, body[:HDR_LEN])[6]
    n = (DGRAM_MAX - HDR_LEN - MAC_LEN) // 16
    first = max(1, top - 127)
    ranges = b''.join(struct.pack('!QI4x', first + i % 2, 128)
                      for i in range(n))
    send(src, dst, dgram(dir_key(key, src, dst), NACK, o, seq, ranges), s)
    print('top %d ranges %d' % (top, n))
    return 0


def run(src, dst, key, node, epoch, mode, argv):
    o = {'node': node, 'epoch': epoch}
    args = []
    for a in argv:
        if '=' in a:
            k, v = a.split('=', 1)
            o[k] = v
        else:
            args.append(a)
    k = dir_key(key, *(o['dir'].split(',') if 'dir' in o else (src, dst)))
    wrong = bytes(b ^ 0x5a for b in k)
    if mode == 'heartbeat':
        out = dgram(k, HEARTBEAT, o, int(args[0]), bytes(8))
        with open(args[1], 'wb') as f:
            f.write(out)
    elif mode == 'replay':
        with open(args[0], 'rb') as f:
            out = f.read()
    elif mode == 'wrongkey':
        out = dgram(wrong, HEARTBEAT, o, int(args[0]), bytes(8))
    elif mode == 'short':
        out = b'NFLS' + bytes(6)
    elif mode == 'big':
        out = dgram(k, DATA, o, 1, bytes(2000))
    elif mode == 'bulkreq':
        out = dgram(k, BULK_REQ, o, int(args[0]), b'')
    elif mode == 'badrec':
        out = dgram(k, DATA, o, int(args[0]),
                    struct.pack('!BBH', 1, 4, 6) + bytes(4))
    elif mode == 'session':
        seq, client, cport, vip, vport, member, mport = args[:7]
        rec = session_rec(int(o['node']), client, int(cport), vip,
                          int(vport), member, int(mport),
                          int(o.get('wscale', 7)))
        out = dgram(wrong if args[7:] == ['wrongkey'] else k, DATA, o,
                    int(seq), rec)
    elif mode == 'delete':
        seq, client, cport, vip, vport = args[:5]
        rec = struct.pack('!BBHBBHHH', 2, 4, 20, int(o['node']),
                          socket.IPPROTO_TCP, 0, int(cport), int(vport))
        rec += socket.inet_aton(client) + socket.inet_aton(vip)
        out = dgram(k, DATA, o, int(seq), rec)
    elif mode == 'nackflood':
        return nackflood(src, dst, key, o, int(args[0]))
    elif mode == 'capture':
        return capture(*args[:4])
    elif mode == 'spoof':
        with open(args[1], 'rb') as f:
            spoof(args[0], dst, f.read())
        return 0
    else:
        print('unknown mode ' + mode, file=sys.stderr)
        return 2
    send(src, dst, out)
    return 0


def main(argv):
    src, dst, keyhex, node, epoch = argv[1:6]
    key = bytes.fromhex(keyhex)
    cmds, cur = [], []
    for a in argv[6:]:
        if a == '+':
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    cmds.append(cur)
    for c in cmds:
        r = run(src, dst, key, node, epoch, c[0], c[1:])
        if r:
            return r
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
