# SPDX-License-Identifier: BSD-3-Clause
"""Write OUT as IN in RFC 764 netascii, the form a TFTP netascii transfer
carries on the wire: CR -> CR NUL, then LF -> CR LF. Computed here,
independently of any server.

usage: python3 netascii_encode.py IN OUT
"""
import argparse


def main():
    ap = argparse.ArgumentParser(description="A file in netascii (RFC 764).")
    ap.add_argument("src", metavar="IN", help="file to read")
    ap.add_argument("out", metavar="OUT", help="file to write")
    a = ap.parse_args()
    with open(a.src, "rb") as f:
        d = f.read()
    with open(a.out, "wb") as f:
        f.write(d.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n"))


if __name__ == "__main__":
    main()
