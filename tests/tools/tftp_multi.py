# SPDX-License-Identifier: BSD-3-Clause
"""N downloads of NAME from a TFTP SERVER at once, one thread each, into
OUTDIR/m0 ... OUTDIR/m<N-1>; prints tftp_get.py's result line for each, in
order. Takes tftp_get.py's name=value options and flags.

Sends only to SERVER, from the namespace it runs in.

usage: python3 tftp_multi.py SERVER NAME N OUTDIR [name=value ...] [--flag VALUE ...]
"""
import os
import sys
import threading

from tftp_lib import Get, parse_get_args


def multi(server, name, n, outdir, argv):
    """Run the gets in parallel, print their lines."""
    opts, kw = parse_get_args(argv)
    res = [None] * n

    def one(i):
        res[i] = Get(server, name, os.path.join(outdir, "m%d" % i), opts, **kw).run()

    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    for r in res:
        print(r)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__.strip())
    multi(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:])
