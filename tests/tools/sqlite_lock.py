# SPDX-License-Identifier: BSD-3-Clause
"""Hold the write lock of an SQLite database for SECONDS (a lease store
that stalls: every writer waits, then gets SQLITE_BUSY), print "locked"
once it is held, and let go by exiting (at the end, or when killed: the
kernel drops the process's locks). Writes nothing to the database.

usage: python3 sqlite_lock.py DB SECONDS
"""
import argparse
import sqlite3
import time


def main():
    ap = argparse.ArgumentParser(description="Hold an SQLite database's write lock.")
    ap.add_argument("db", help="the database file")
    ap.add_argument("seconds", type=float, help="how long to hold it")
    a = ap.parse_args()
    con = sqlite3.connect(a.db, timeout=10, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(a.seconds)
    con.execute("ROLLBACK")
    con.close()


if __name__ == "__main__":
    main()
