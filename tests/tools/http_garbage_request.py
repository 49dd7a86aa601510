# SPDX-License-Identifier: BSD-3-Clause
"""Print a garbage HTTP request for http_raw.py: 3000 random bytes (seeded
by SEED, so a run can be replayed) written as Python \\xNN escapes, then
the escapes of an empty line (\\r\\n\\r\\n). One line, on stdout.

usage: python3 http_garbage_request.py SEED
"""
import argparse
import random


def main():
    ap = argparse.ArgumentParser(description="Seeded random bytes as \\xNN escapes.")
    ap.add_argument("seed", type=int)
    r = random.Random(ap.parse_args().seed)
    print("".join("\\x%02x" % r.getrandbits(8) for _ in range(3000)) + "\\r\\n\\r\\n")


if __name__ == "__main__":
    main()
