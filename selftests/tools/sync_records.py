#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List the session records of the sync datagrams in a capture, as the wire
format of Documentation/sync.rst lays them out (records are authenticated,
not encrypted, so a capture shows them), for selftests/sync_basic.sh.

Usage: sync_records.py PCAP FROM
  Reads PCAP (libpcap, Ethernet, snap length large enough for whole
  datagrams) and prints, for every DATA datagram FROM sent to port 7788,
  one line a record in the order they were sent:
    session PROTO CLIENT_PORT STATE     (create or update)
    delete PROTO CLIENT_PORT
    close PROTO CLIENT_PORT STATE     (a session closed)
  PROTO is tcp or udp; STATE the record's state number.  Exit 1 if a
  datagram is truncated or a record does not parse.
"""
import socket
import struct
import sys

from sync_craft import DATA, HDR, HDR_LEN, MAC_LEN, MAGIC

PROTO = {socket.IPPROTO_TCP: 'tcp', socket.IPPROTO_UDP: 'udp'}


def frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        caplen, wirelen = struct.unpack(end + 'II', data[off + 8:off + 16])
        if caplen != wirelen:
            raise ValueError('a frame was cut to %d of %d bytes' %
                             (caplen, wirelen))
        yield data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def payload(frame, src):
    if frame[12:14] != b'\x08\x00':
        return None
    pkt = frame[14:]
    ihl = (pkt[0] & 15) * 4
    if pkt[9] != socket.IPPROTO_UDP or pkt[12:16] != src:
        return None
    if struct.unpack('!H', pkt[ihl + 2:ihl + 4])[0] != 7788:
        return None
    ulen = struct.unpack('!H', pkt[ihl + 4:ihl + 6])[0]
    return pkt[ihl + 8:ihl + ulen]


def records(body):
    off = HDR_LEN
    while off < len(body):
        typ, fam, rlen = struct.unpack('!BBH', body[off:off + 4])
        if rlen < 4 or rlen % 4 or off + rlen > len(body):
            raise ValueError('bad record length %d at %d' % (rlen, off))
        rec = body[off:off + rlen]
        if typ == 1:
            proto, state = rec[5], rec[6]
            cport = struct.unpack('!H', rec[32:34])[0]
            yield 'session %s %d %d' % (PROTO.get(proto, proto), cport, state)
        elif typ == 2:
            proto = rec[5]
            cport = struct.unpack('!H', rec[8:10])[0]
            yield 'delete %s %d' % (PROTO.get(proto, proto), cport)
        elif typ == 3:
            proto, state = rec[5], rec[6]
            cport = struct.unpack('!H', rec[12:14])[0]
            yield 'close %s %d %d' % (PROTO.get(proto, proto), cport, state)
        off += rlen


def main(argv):
    src = socket.inet_aton(argv[2])
    for frame in frames(argv[1]):
        dg = payload(frame, src)
        if dg is None or len(dg) < HDR_LEN + MAC_LEN:
            continue
        hdr = struct.unpack(HDR, dg[:HDR_LEN])
        if hdr[0] != MAGIC or hdr[2] != DATA:
            continue
        for line in records(dg[:-MAC_LEN]):
            print(line)
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except (ValueError, struct.error, IndexError) as e:
        print('sync_records: %s' % e, file=sys.stderr)
        sys.exit(1)
