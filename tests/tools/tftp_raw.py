# SPDX-License-Identifier: BSD-3-Clause
"""Send one datagram (HEX, e.g. from lib_tftp.sh's tftp_req_hex) to
SERVER:PORT from a fresh port and print each reply within WAIT seconds
(1.5; once something came, at most 0.3 s more): "from=PORT <packet>"
(tftp_lib.describe), or "none". A DATA is answered by ERROR 0 and an OACK
by ERROR 8, so the session the request opened ends.

Sends only to SERVER, from the namespace it runs in.

usage: python3 tftp_raw.py SERVER PORT HEX [WAIT]
"""
import argparse
import select
import socket
import time

from tftp_lib import describe, error


def raw(server, port, data, wait):
    """Send data, print the replies."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))
    s.sendto(data, (server, port))
    end, n = time.time() + wait, 0
    while True:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        p, a = s.recvfrom(70000)
        n += 1
        end = min(end, time.time() + 0.3)    # anything else comes right after
        print("from=%d %s" % (a[1], describe(p)))
        if describe(p).startswith("op=3"):
            s.sendto(error(0, "test done"), a)   # end the session politely
        elif describe(p).startswith("op=6"):
            s.sendto(error(8, "probe done"), a)
    if n == 0:
        print("none")


def main():
    ap = argparse.ArgumentParser(description="One datagram to a TFTP server, the replies printed.")
    ap.add_argument("server")
    ap.add_argument("port", type=int)
    ap.add_argument("hex", help="the datagram, in hex")
    ap.add_argument("wait", nargs="?", type=float, default=1.5, help="seconds (1.5)")
    a = ap.parse_args()
    raw(a.server, a.port, bytes.fromhex(a.hex), a.wait)


if __name__ == "__main__":
    main()
