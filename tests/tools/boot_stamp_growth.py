# SPDX-License-Identifier: BSD-3-Clause
"""Poll the files matching each GLOB every 50 ms, forever, and append
"epoch path size" to INDEX each time one grew (or shrank): the timestamps
of console output and log lines for boot_console_marks.py and
boot_dnsmasq_stages.py. Stop it with a signal.

usage: python3 -u boot_stamp_growth.py INDEX GLOB...
"""
import argparse
import glob
import os
import time


def stamp(index, globs):
    """Poll and append, until killed."""
    sizes = {}
    with open(index, "a") as out:
        while True:
            for g in globs:
                for p in glob.glob(g):
                    try:
                        n = os.path.getsize(p)
                    except OSError:
                        continue
                    if n != sizes.get(p, 0):
                        sizes[p] = n
                        out.write("%.3f %s %d\n" % (time.time(), p, n))
            out.flush()
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser(description="Timestamp the growth of files.")
    ap.add_argument("index", help="file to append the stamps to")
    ap.add_argument("globs", nargs="+", metavar="GLOB", help="files to watch")
    a = ap.parse_args()
    stamp(a.index, a.globs)


if __name__ == "__main__":
    main()
