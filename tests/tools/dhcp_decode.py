# SPDX-License-Identifier: BSD-3-Clause
"""Print one line per DHCP/BOOTP packet of a pcap file (Ethernet or Linux
cooked capture, either byte order), in capture order:

  src= sport= dst= dport= op= xid= flags= ciaddr= yiaddr= siaddr= giaddr=
  chaddr= sname= file= magic= type= len= oorder= o<code>=<hex> ...
  o60s=<text> o67s= ... o3i=<addresses> ... o51n=<number> ...

(pkt_lib.fmt_bootp has the full list). Non-IPv4, non-UDP and short packets
are skipped. Reads the file only; sends nothing.

usage: python3 dhcp_decode.py PCAP
"""
import argparse

from pkt_lib import fmt_bootp, pcap_udp


def decode(path):
    """Print the DHCP lines of the pcap at path."""
    for src, sport, dst, dport, payload in pcap_udp(path):
        line = fmt_bootp(src, sport, dst, dport, payload)
        if line:
            print(line)


def main():
    ap = argparse.ArgumentParser(description="DHCP packets of a pcap, one line each.")
    ap.add_argument("pcap", help="a capture file (tcpdump -w)")
    decode(ap.parse_args().pcap)


if __name__ == "__main__":
    main()
