# SPDX-License-Identifier: BSD-3-Clause
"""Write OUT: about 6 KB of numbered text lines ending in LF, CRLF and bare
CR in turn, every 7th line in "CR CR LF LF CR", and a last line that ends
in a bare CR. Always the same bytes (seeded): the netascii test file.

usage: python3 mixed_eol_text.py OUT
"""
import argparse
import random


def text():
    """The file's bytes."""
    r = random.Random(1350)
    ends = [b"\n", b"\r\n", b"\r"]
    out = bytearray()
    i = 0
    while len(out) < 6000:
        out += b"line %05d %s" % (i, b"abcdefghijklmnopqrstuvwxyz"[: r.randrange(0, 27)])
        out += ends[i % 3] if i % 7 else b"\r\r\n\n\r"
        i += 1
    out += b"no newline, then a bare CR\r"
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description="Text lines with every kind of line end.")
    ap.add_argument("out", help="file to write")
    a = ap.parse_args()
    with open(a.out, "wb") as f:
        f.write(text())


if __name__ == "__main__":
    main()
