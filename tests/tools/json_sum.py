# SPDX-License-Identifier: BSD-3-Clause
"""Sum every number stored under KEY, at any depth, in the JSON document
JSON (the text itself, e.g. stampede's /api/v1/status). Prints the sum as
an integer when the text names "KEY" at all; prints nothing when it does
not, or when JSON does not parse.

usage: python3 json_sum.py KEY JSON
"""
import json
import sys


def walk(o, k):
    """Sum of the numbers under key k in o (a value under k that is not a
    number is searched in turn)."""
    if isinstance(o, dict):
        return sum((v if kk == k and isinstance(v, (int, float)) else walk(v, k))
                   for kk, v in o.items())
    if isinstance(o, list):
        return sum(walk(v, k) for v in o)
    return 0


def main(key, text):
    try:
        d = json.loads(text)
    except ValueError:
        return
    if ("\"%s\"" % key) in text:
        print("%d" % walk(d, key))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    main(sys.argv[1], sys.argv[2])
