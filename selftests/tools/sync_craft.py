#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Craft nflb sync datagrams (wire format v3, Documentation/sync.rst) for
selftests/sync_basic.sh, independently of the kernel's encoder: the layout
and the key derivation from the document, the key derivation's BLAKE2s
from Python's hashlib, and the MAC (XChaCha20-Poly1305 of an empty
plaintext with the datagram as associated data) written here from RFC 8439
and draft-irtf-cfrg-xchacha-03 with Python integers (no other module).

Usage: sync_craft.py SRC DST KEYHEX NODE EPOCH MODE [ARGS] [+ MODE [ARGS]]...
       sync_craft.py --selftest   check the MAC code against the published
                                  test vectors (RFC 8439 2.5.2, 2.8.2;
                                  draft-irtf-cfrg-xchacha-03 2.2.1, A.3.1)
  MODE heartbeat SEQ OUTFILE   send a heartbeat, keep its bytes in OUTFILE
  MODE replay FILE             send FILE's bytes again
  MODE wrongkey SEQ            a heartbeat under another key
  MODE short                   10 bytes: shorter than any datagram
  MODE big                     2,000 bytes: longer than any datagram
  MODE badrec SEQ              valid MAC, a record whose length is not x4
  MODE v2 SEQ                  a heartbeat of wire version 2 (its keyed
                               BLAKE2s MAC), valid for a version 2 node
  MODE badversion SEQ          a heartbeat whose version byte says 2 under
                               a valid (version 3) MAC
  MODE bulkreq SEQ             a BULK_REQ (flags=4: the addressee's own
                               sessions only)
  MODE session SEQ CLIENT CPORT VIP VPORT MEMBER MPORT [wrongkey]
                               one IPv4 TCP session record, established
  MODE delete SEQ CLIENT CPORT VIP VPORT
                               one IPv4 TCP delete record
  MODE close SEQ CLIENT CPORT VIP VPORT
                               one IPv4 TCP close record (TIME_WAIT, 60 s
                               left); owner=N: its owner (default: node)
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
  MODE sleep SECS              wait (between the modes of one process)
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
VERSION = 3
DATA, HEARTBEAT, NACK, BULK_REQ = 1, 2, 3, 4
TCP_ESTABLISHED = 2
TCP_TIME_WAIT = 6
HDR = '!IBBBBQQQQB3x'          # 44 bytes
HDR_LEN = struct.calcsize(HDR)
MAC_LEN = 16
DGRAM_MAX = 1400


def dir_key(key, src, dst):
    """BLAKE2s-256 keyed with the shared key over "nflb sync" || src || dst."""
    msg = b'nflb sync' + socket.inet_aton(src) + socket.inet_aton(dst)
    return hashlib.blake2s(msg, key=key, digest_size=32).digest()


# --- ChaCha20 (RFC 8439 2.1-2.4), HChaCha20 (draft-irtf-cfrg-xchacha-03
# 2.2), Poly1305 (RFC 8439 2.5), the AEAD (2.8) and its XChaCha variant.

M32 = 0xffffffff
SIGMA = struct.unpack('<4I', b'expand 32-byte k')


def _rotl(v, n):
    return ((v << n) & M32) | (v >> (32 - n))


def _rounds(x):
    """The 20 rounds (10 column and 10 diagonal double rounds) on x."""
    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & M32
        x[d] = _rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & M32
        x[b] = _rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & M32
        x[d] = _rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & M32
        x[b] = _rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12)
        qr(1, 5, 9, 13)
        qr(2, 6, 10, 14)
        qr(3, 7, 11, 15)
        qr(0, 5, 10, 15)
        qr(1, 6, 11, 12)
        qr(2, 7, 8, 13)
        qr(3, 4, 9, 14)
    return x


def chacha20_block(key, counter, nonce12):
    state = list(SIGMA) + list(struct.unpack('<8I', key)) + [counter] + \
        list(struct.unpack('<3I', nonce12))
    x = _rounds(list(state))
    return struct.pack('<16I', *((a + b) & M32 for a, b in zip(x, state)))


def chacha20_xor(key, counter, nonce12, data):
    out = bytearray()
    for i in range(0, len(data), 64):
        ks = chacha20_block(key, counter + i // 64, nonce12)
        out += bytes(a ^ b for a, b in zip(data[i:i + 64], ks))
    return bytes(out)


def hchacha20(key, nonce16):
    state = list(SIGMA) + list(struct.unpack('<8I', key)) + \
        list(struct.unpack('<4I', nonce16))
    x = _rounds(state)
    return struct.pack('<8I', *(x[0:4] + x[12:16]))


def poly1305(otk, msg):
    r = int.from_bytes(otk[:16], 'little') & \
        0x0ffffffc0ffffffc0ffffffc0fffffff
    s = int.from_bytes(otk[16:], 'little')
    p = (1 << 130) - 5
    acc = 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i:i + 16] + b'\x01', 'little')
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, 'little')


def _pad16(b):
    return bytes(-len(b) % 16)


def chacha20poly1305_encrypt(key, nonce12, plaintext, aad):
    """RFC 8439 2.8: ciphertext || tag."""
    otk = chacha20_block(key, 0, nonce12)[:32]
    ct = chacha20_xor(key, 1, nonce12, plaintext)
    data = aad + _pad16(aad) + ct + _pad16(ct) + \
        struct.pack('<QQ', len(aad), len(ct))
    return ct + poly1305(otk, data)


def xchacha20poly1305_encrypt(key, nonce24, plaintext, aad):
    """draft-irtf-cfrg-xchacha-03 2.3: subkey from the first 16 bytes of
    the nonce, the last 8 behind 4 zero bytes as the 12-byte nonce."""
    return chacha20poly1305_encrypt(hchacha20(key, nonce24[:16]),
                                    bytes(4) + nonce24[16:], plaintext, aad)


def nonce(body):
    """The header's epoch and seq as sent (big endian), then 8 zeros."""
    return body[8:24] + bytes(8)


def mac(k, body):
    """XChaCha20-Poly1305 of nothing, the datagram as associated data."""
    return xchacha20poly1305_encrypt(k, nonce(body), b'', body)


def mac_v2(k, body):
    """Wire version 2's MAC: keyed BLAKE2s, 16 bytes."""
    return hashlib.blake2s(body, key=k, digest_size=MAC_LEN).digest()


def selftest():
    """The published vectors; returns the names of those that failed."""
    key = bytes(range(0x80, 0xa0))
    aad = bytes.fromhex('50515253c0c1c2c3c4c5c6c7')
    text = (b"Ladies and Gentlemen of the class of '99: If I could offer "
            b"you only one tip for the future, sunscreen would be it.")
    checks = {
        'RFC 8439 2.5.2 (Poly1305)': poly1305(
            bytes.fromhex('85d6be7857556d337f4452fe42d506a8'
                          '0103808afb0db2fd4abff6af4149f51b'),
            b'Cryptographic Forum Research Group').hex() ==
        'a8061dc1305136c6c22b8baf0c0127a9',
        'RFC 8439 2.8.2 (ChaCha20-Poly1305)': chacha20poly1305_encrypt(
            key, bytes.fromhex('070000004041424344454647'), text, aad
        )[-16:].hex() == '1ae10b594f09e26a7e902ecbd0600691',
        'draft-irtf-cfrg-xchacha-03 2.2.1 (HChaCha20)': hchacha20(
            bytes(range(32)),
            bytes.fromhex('000000090000004a0000000031415927')).hex() ==
        '82413b4227b27bfed30e42508a877d73'
        'a0f9e4d58a74a853c12ec41326d3ecdc',
        'draft-irtf-cfrg-xchacha-03 A.3.1 (XChaCha20-Poly1305)':
        xchacha20poly1305_encrypt(
            key, bytes(range(0x40, 0x58)), text, aad)[-16:].hex() ==
        'c0875924c1c7987947deafd8780acf49',
    }
    return [name for name, ok in checks.items() if not ok]


def dgram(k, typ, o, seq, payload, version=VERSION, tag=mac):
    ts = time.time_ns() - int(float(o.get('age', 0)) * 1e9)
    hdr = struct.pack(HDR, MAGIC, version, typ, int(o['node']),
                      int(o.get('flags', 0)),
                      int(o['epoch']), seq, 0, ts, int(o.get('to', 0)))
    body = hdr + payload
    return body + tag(k, body)


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
    elif mode == 'v2':
        out = dgram(k, HEARTBEAT, o, int(args[0]), bytes(8), 2, mac_v2)
    elif mode == 'badversion':
        out = dgram(k, HEARTBEAT, o, int(args[0]), bytes(8), 2)
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
    elif mode == 'close':
        seq, client, cport, vip, vport = args[:5]
        rec = struct.pack('!BBHBBBBIHH', 3, 4, 24,
                          int(o.get('owner', o['node'])),
                          socket.IPPROTO_TCP, TCP_TIME_WAIT, 0, 60000,
                          int(cport), int(vport))
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
    elif mode == 'sleep':
        time.sleep(float(args[0]))
        return 0
    else:
        print('unknown mode ' + mode, file=sys.stderr)
        return 2
    send(src, dst, out)
    return 0


def main(argv):
    failed = selftest()
    for name in failed:
        print('sync_craft.py: the MAC code fails ' + name, file=sys.stderr)
    if argv[1:] == ['--selftest']:
        if not failed:
            print('sync_craft.py: MAC code matches the published vectors')
        return 1 if failed else 0
    if failed:
        return 1
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
