# SPDX-License-Identifier: BSD-3-Clause
"""Print "chaddr yiaddr" for every DHCPACK with an address in a pcap file
(what a storm's clients were told they hold), one line per ACK, in capture
order; "aa:bb:cc:dd:ee:ff 10.76.1.7". ACKs without yiaddr (INFORM,
ProxyDHCP) and other messages are skipped. A snap length that keeps the
BOOTP header and the first option is enough (300 bytes). Reads the file
only; sends nothing.

usage: python3 dhcp_acks.py PCAP
"""
import argparse

from pkt_lib import ip, parse_opts, pcap_udp

DHCPACK = 5


def acks(path):
    """Yield (chaddr, yiaddr) of each ACK with an address in the pcap."""
    for _, _, _, _, d in pcap_udp(path):
        if len(d) < 241 or d[0] != 2:
            continue
        opts = parse_opts(d[240:])
        if opts.get(53, b"")[:1] != bytes([DHCPACK]) or d[16:20] == b"\0\0\0\0":
            continue
        yield ":".join("%02x" % x for x in d[28:34]), ip(d[16:20])


def main():
    ap = argparse.ArgumentParser(description="The (MAC, address) of every DHCPACK in a pcap.")
    ap.add_argument("pcap", help="a capture file (tcpdump -w)")
    for mac, addr in acks(ap.parse_args().pcap):
        print(mac, addr)


if __name__ == "__main__":
    main()
