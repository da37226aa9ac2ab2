#!/usr/bin/env python3
"""Writes a mysqldump of about SIZE bytes for measuring the memory of one big dump.

    python3 benches/gen_dump.py /tmp/big.sql [SIZE_GB]   # default 10
    /usr/bin/time -f '%e s %U u %M KB' target/release/pipl-scan scan -q --sources jsonl \
        --key-file KEY -o /tmp/out /tmp/big.sql

One block of 1,000 extended INSERTs of 1,000 rows (id, name, resident ID, mobile, e-mail) is
repeated until the size is reached: 1,000,000 distinct mobiles and e-mails, 21,000 distinct
resident IDs (the birth dates and sequence numbers cycle), so 21,000 people. Deterministic.
"""
import sys

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"


def rid(i):
    body = "110105%04d%02d%02d%03d" % (1950 + i % 50, 1 + i % 12, 1 + i % 28, i % 1000)
    return body + C[sum(int(d) * w for d, w in zip(body, W)) % 11]


def main():
    out = sys.argv[1]
    size = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    rows = ["(%d,'张%d','%s','13%09d','u%d@example.com')" % (i, i % 97, rid(i), i, i)
            for i in range(1_000_000)]
    block = "".join("INSERT INTO `customers` VALUES " + ",".join(rows[k:k + 1000]) + ";\n"
                    for k in range(0, len(rows), 1000)).encode()
    with open(out, "wb") as f:
        f.write(b"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n"
                b"-- Host: localhost    Database: crm\n\n"
                b"CREATE TABLE `customers` (\n  `id` int NOT NULL,\n  `name` varchar(32),\n"
                b"  `id_card` varchar(18),\n  `mobile` varchar(11),\n  `email` varchar(64)\n);\n\n")
        n = 0
        while n < size * 1e9:
            f.write(block)
            n += len(block)


if __name__ == "__main__":
    main()
