#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Servers for lbhealthd's tests, one thread each, non-blocking.

  health_server.py http ADDR PORT STATUS BODY   answer every request so
  health_server.py garbage ADDR PORT            endless line, never closes
  health_server.py silent ADDR PORT             accept, never answer
  health_server.py accept ADDR PORT             accept and close (scale)

ADDR 0.0.0.0 with a local route for a whole prefix serves every address
in it (the scale test's thousands of members).
"""
import selectors
import socket
import sys

def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    if mode == "http":
        status, body = int(sys.argv[4]), sys.argv[5].encode()
        reply = (b"HTTP/1.0 %d Status\r\nContent-Type: text/plain\r\n"
                 b"Content-Length: %d\r\n\r\n" % (status, len(body))) + body
    keep = []   # silent/garbage: connections held open
    while True:
        for key, _ in sel.select():
            if key.data is None:
                try:
                    c, _ = ls.accept()
                except OSError:
                    continue
                if mode == "accept":
                    c.close()
                elif mode == "http":
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, bytearray())
                elif mode == "garbage":
                    try:
                        c.setblocking(False)
                        c.send(b"HTTP/1.1 " + b"9" * 200000)
                    except OSError:
                        pass
                    keep.append(c)
                else:
                    keep.append(c)
                keep[:] = keep[-2000:]
                continue
            c, buf = key.fileobj, key.data
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            buf += d
            if d and b"\r\n\r\n" not in buf and len(buf) < 65536:
                continue
            sel.unregister(c)
            try:
                if d:
                    c.setblocking(True)
                    c.settimeout(1)
                    c.sendall(reply)
            except OSError:
                pass
            c.close()

if __name__ == "__main__":
    main()
