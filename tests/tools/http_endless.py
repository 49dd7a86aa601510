# SPDX-License-Identifier: BSD-3-Clause
"""Send PREFIX (Python escapes) then 'a' bytes, 4 KiB at a time, up to TOTAL
bytes or until the server answers or closes: a request line or header
line that never ends. Prints "sent=N", then what came back as http_raw.py
prints it ("resp ..." lines and "end closed= first= close= bytes=").

Connects only to HOST, from the namespace it runs in.

usage: python3 http_endless.py HOST PORT PREFIX TOTAL
"""
import argparse
import socket
import time

from http_lib import read_all, report, unesc


def endless(host, port, prefix, total):
    """Send until refused, then report."""
    s = socket.create_connection((host, port), timeout=5)
    t0 = time.time()
    sent = 0
    s.sendall(prefix)
    sent += len(prefix)
    s.setblocking(False)
    data = b""
    while sent < total:
        try:
            d = s.recv(65536)
            if not d:
                break
            data += d
            break
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            break
        try:
            sent += s.send(b"a" * min(4096, total - sent))
        except BlockingIOError:
            time.sleep(0.01)
        except (ConnectionResetError, BrokenPipeError):
            break
    print("sent=%d" % sent)
    s.setblocking(True)
    more, first, closed = read_all(s, t0, 3.0)
    report(data + more, first if not data else 0.0, closed, 0)


def main():
    ap = argparse.ArgumentParser(description="A request whose line never ends.")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("prefix", help="sent first (Python escapes)")
    ap.add_argument("total", type=int, help="bytes to send at most")
    a = ap.parse_args()
    endless(a.host, a.port, unesc(a.prefix), a.total)


if __name__ == "__main__":
    main()
