# SPDX-License-Identifier: BSD-3-Clause
"""Play EDK2's pair of TFTP requests: an RRQ with tsize=0 blksize=1468
windowsize=4, ERROR 8 (abort) after the OACK (printing whatever the server
still sends on that TID within 1.5 s as "after-abort: from=PORT ..."),
then an RRQ with blksize=1468 windowsize=4 and the whole download into OUT.

Prints "probe: from=PORT <packet>" (or "probe: none"), then tftp_get.py's
result line.

Sends only to SERVER, from the namespace it runs in.

usage: python3 tftp_edk2.py SERVER NAME OUT
"""
import argparse
import socket

from tftp_lib import Get, describe, error, rrq


def edk2(server, name, out):
    """The probe, the abort, the download."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 0))
    s.settimeout(3.0)
    s.sendto(rrq(name, "octet", [("tsize", 0), ("blksize", 1468), ("windowsize", 4)]), (server, 69))
    try:
        p, a = s.recvfrom(70000)
        print("probe: from=%d %s" % (a[1], describe(p)))
        s.sendto(error(8, "User aborted the transfer"), a)
        # the server must stay quiet on that TID now; anything is printed
        s.settimeout(1.5)
        try:
            while True:
                p2, a2 = s.recvfrom(70000)
                print("after-abort: from=%d %s" % (a2[1], describe(p2)))
        except socket.timeout:
            pass
    except socket.timeout:
        print("probe: none")
    s.close()
    print(Get(server, name, out, [("blksize", 1468), ("windowsize", 4)]).run())


def main():
    ap = argparse.ArgumentParser(description="EDK2's size probe, abort, then download.")
    ap.add_argument("server")
    ap.add_argument("name", help="file to fetch")
    ap.add_argument("out", help="where to write it")
    a = ap.parse_args()
    edk2(a.server, a.name, a.out)


if __name__ == "__main__":
    main()
