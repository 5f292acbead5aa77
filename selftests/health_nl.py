#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""nflb's health attributes over generic netlink, for health_active.sh
while lbctl has no commands for them:

  health_nl.py check POOL TYPE [KEY VALUE]...   set the pool's active check
      KEY: port path host status-min status-max expect-body send expect
           query interval timeout rise fall (times in ms)
  health_nl.py health POOL                      one line a member:
      ADDR:PORT HEALTH REASON

The attribute numbers are read from uapi/linux/nflb.h, not copied here.
"""
import os
import re
import socket
import struct
import sys

HDR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "uapi", "linux", "nflb.h")

def enums():
    """Every enumerator of the header's enums, by name."""
    text = re.sub(r"/\*.*?\*/", "", open(HDR).read(), flags=re.S)
    vals = {}
    for body in re.findall(r"enum\s+\w+\s*\{(.*?)\}", text, flags=re.S):
        n = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            m = re.match(r"(\w+)\s*(?:=\s*(.+))?$", item)
            if m.group(2):
                try:
                    n = eval(m.group(2), {"__builtins__": {}}, vals)
                except (NameError, SyntaxError):
                    continue    # a value from a macro: not one we use
            vals[m.group(1)] = n
            n += 1
    return vals

E = enums()
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE, GENL_ID_CTRL = 2, 3, 0x10

def attr(t, payload):
    a = struct.pack("HH", 4 + len(payload), t) + payload
    return a + b"\0" * (-len(a) % 4)

def nest(t, attrs):
    return attr(t | 0x8000, b"".join(attrs))

def parse(buf):
    out, i = {}, 0
    while i + 4 <= len(buf):
        ln, t = struct.unpack_from("HH", buf, i)
        if ln < 4:
            break
        out[t & 0x3fff] = buf[i + 4:i + ln]
        i += (ln + 3) & ~3
    return out

class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
        self.s.bind((0, 0))
        self.seq = 0
        reply = self.talk(GENL_ID_CTRL, 3, [attr(2, b"nflb\0")], version=1)
        self.fam = struct.unpack("H", parse(reply[0])[1][:2])[0]

    def talk(self, typ, cmd, attrs, dump=False, version=1):
        self.seq += 1
        body = struct.pack("BBH", cmd, version, 0) + b"".join(attrs)
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        self.s.send(struct.pack("IHHII", 16 + len(body), typ, flags, self.seq, 0) + body)
        msgs = []
        while True:
            data = self.s.recv(1 << 16)
            i = 0
            while i + 16 <= len(data):
                ln, t, _, seq, _ = struct.unpack_from("IHHII", data, i)
                payload = data[i + 16:i + ln]
                i += (ln + 3) & ~3
                if t == NLMSG_ERROR:
                    err = struct.unpack_from("i", payload)[0]
                    if err:
                        sys.exit("health_nl: error %d (%s)" % (err, os.strerror(-err)))
                    return msgs
                if t == NLMSG_DONE:
                    return msgs
                msgs.append(payload[4:])

def u8(v): return struct.pack("B", v)
def u16(v): return struct.pack("H", v)
def u32(v): return struct.pack("I", v)
def strz(v): return v.encode() + b"\0"

KEYS = {"port": u16, "status-min": u16, "status-max": u16, "interval": u32,
        "timeout": u32, "rise": u8, "fall": u8, "path": strz, "host": strz,
        "expect-body": strz, "send": strz, "expect": strz, "query": strz}

def main():
    g = Genl()
    if sys.argv[1] == "check":
        pool, typ = sys.argv[2], sys.argv[3]
        chk = [attr(E["NFLB_CHECK_A_TYPE"], u8(E["NFLB_CHECK_" + typ.upper().replace("-", "_")]))]
        args = sys.argv[4:]
        for k, v in zip(args[::2], args[1::2]):
            enc = KEYS[k]
            chk.append(attr(E["NFLB_CHECK_A_" + k.upper().replace("-", "_")],
                            enc(v) if enc is strz else enc(int(v))))
        g.talk(g.fam, E["NFLB_CMD_POOL_SET"],
               [nest(E["NFLB_A_POOL"], [attr(E["NFLB_POOL_A_NAME"], strz(pool)),
                                        nest(E["NFLB_POOL_A_CHECK"], chk)])])
    elif sys.argv[1] == "health":
        msgs = g.talk(g.fam, E["NFLB_CMD_MEMBER_GET"],
                      [nest(E["NFLB_A_MEMBER"], [attr(E["NFLB_MEMBER_A_POOL"], strz(sys.argv[2]))])],
                      dump=True)
        names = {E["NFLB_HEALTH_UP"]: "up", E["NFLB_HEALTH_DOWN"]: "down",
                 E["NFLB_HEALTH_EJECTED"]: "ejected"}
        for m in msgs:
            a = parse(parse(m)[E["NFLB_A_MEMBER"]])
            addr = socket.inet_ntoa(a[E["NFLB_MEMBER_A_ADDR4"]])
            port = struct.unpack("H", a[E["NFLB_MEMBER_A_PORT"]][:2])[0]
            h = a.get(E["NFLB_MEMBER_A_HEALTH"], b"\0")[0]
            reason = a.get(E["NFLB_MEMBER_A_HEALTH_REASON"], b"\0").rstrip(b"\0").decode()
            print("%s:%d %s %s" % (addr, port, names.get(h, h), reason))
    else:
        sys.exit(__doc__)

if __name__ == "__main__":
    main()
