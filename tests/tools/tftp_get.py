# SPDX-License-Identifier: BSD-3-Clause
"""Download NAME from a TFTP SERVER into OUT ("-": no file) and print one
"result=ok|error|timeout bytes= sha256= blocks= oack= tid= reacks= stray=
secs=" line (tftp_lib.Get has the details).

name=value words are TFTP options sent in the RRQ (RFC 2347), e.g.
blksize=1468 windowsize=8. Flags:
  --mode M       transfer mode (octet)
  --rto S        retransmission timeout, seconds (1)
  --dally S      after the last block, re-ACK retransmissions this long (0)
  --deadline S   give up after S seconds (120)
  --sport P      source port (0: any)
  --pause-at N --mark F --go F   after ACKing block N touch F (--mark),
                 wait for F (--go) to exist
  --stray-at N   after block N send an ACK to the session's TID from a
                 second socket; what came back is noted ("strayreply=")

Sends only to SERVER, from the namespace it runs in.

usage: python3 tftp_get.py SERVER NAME OUT [name=value ...] [--flag VALUE ...]
"""
import sys

from tftp_lib import Get, parse_get_args

if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip())
    server, name, out = sys.argv[1:4]
    opts, kw = parse_get_args(sys.argv[4:])
    print(Get(server, name, out, opts, **kw).run())
