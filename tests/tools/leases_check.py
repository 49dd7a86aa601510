# SPDX-License-Identifier: BSD-3-Clause
"""Check stampede-storm's --leases record against a server's lease store.

Usage: leases_check.py ACKS_FILE DATABASE

ACKS_FILE has "MAC ADDRESS" lines (the first address each client was
ACKed); DATABASE is stampede's SQLite file (table leases: mac, ip as a
host-order integer). Prints "N [first mismatches]": N lines whose MAC is
not leased that address in the store (0 when every ACK survived).
"""
import socket
import sqlite3
import struct
import sys


def main():
    db = sqlite3.connect(sys.argv[2])
    have = {m.lower(): socket.inet_ntoa(struct.pack("!I", ip))
            for m, ip in db.execute("select mac, ip from leases")}
    bad = [line.strip() for line in open(sys.argv[1])
           if have.get(line.split()[0].lower()) != line.split()[1]]
    print(len(bad), bad[:3])


if __name__ == "__main__":
    main()
