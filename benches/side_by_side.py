#!/usr/bin/env python3
"""pipl-scan against ripgrep and DuckDB, side by side in one run, on trees shaped like a share.

Generates (deterministically, once, under --work) and times, page cache warm:

  small   200,000 files of 1-20 KB (txt, log, csv, json; 1% with PI)  pipl-scan vs rg
  tiny    1,000,000 files of 100-1000 B (same kinds)                   pipl-scan vs rg
  parquet 20M rows, 3 PI columns (resident ID, mobile, e-mail)         pipl-scan vs DuckDB
  csv     the same rows as CSV                                         pipl-scan vs DuckDB

rg runs with the scan's main identifier patterns (`rg -c`); DuckDB runs the exact
`COUNT(DISTINCT ...)` over the known PI columns, which is what a user who already knows the
columns would run (pipl-scan also finds and validates them). Each command runs once untimed to
warm the cache, then --runs times; the table gives the best wall time, the ratio
pipl-scan / reference and peak RSS (GNU time, `/usr/bin/time`). `--files DIR N` only writes
N files of the small tree's kinds (for callgrind, see docs/scale.md). --scale 0.1 makes every tree ten
times smaller for a quick look.

    python3 benches/side_by_side.py --bin target/release/pipl-scan --work /tmp/sbs [--only small,csv]

Needs rg (`apt-get install ripgrep`) and DuckDB's Python package (`pip install duckdb`).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time

WORDS = ("the quick brown fox jumps over lazy dog order status shipped pending invoice total "
         "amount").split()
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RG_PATTERNS = ["1[3-9][0-9]{9}", "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+", "[0-9]{17}[0-9Xx]"]


def resident_id(rnd):
    b = "110105%04d%02d%02d%03d" % (rnd.randint(1950, 2005), rnd.randint(1, 12),
                                    rnd.randint(1, 28), rnd.randint(0, 999))
    return b + "10X98765432"[sum(int(x) * w for x, w in zip(b, W)) % 11]


def gen_files(root, n, lo, hi, seed):
    """n files of lo-hi bytes in 500 folders: text, log, CSV and JSON Lines, 1% with PI."""
    rnd = random.Random(seed)
    for i in range(n):
        d = os.path.join(root, "d%03d" % (i % 500))
        if i < 500:
            os.makedirs(d, exist_ok=True)
        kind, size, pi = i % 4, rnd.randint(lo, hi), i % 100 == 0
        lines = []
        if kind == 0:
            while sum(map(len, lines)) < size:
                lines.append(" ".join(rnd.choice(WORDS) for _ in range(12)))
            if pi:
                lines.insert(1, "客户 13%09d 联系 user%d@example.com 身份证 %s"
                             % (rnd.randint(0, 10**9 - 1), i, resident_id(rnd)))
            name = "f%07d.txt" % i
        elif kind == 1:
            while sum(map(len, lines)) < size:
                lines.append("2026-11-%02d 12:00:%02d INFO request id=%d path=/api/v1/items "
                             "status=200" % (rnd.randint(1, 28), rnd.randint(0, 59),
                                             rnd.randint(0, 10**6)))
            if pi:
                lines.insert(1, "2026-11-01 12:00:00 INFO login phone=13%09d"
                             % rnd.randint(0, 10**9 - 1))
            name = "f%07d.log" % i
        elif kind == 2:
            lines = ["id,item,qty,price"]
            while sum(map(len, lines)) < size:
                lines.append("%d,%s,%d,%.2f" % (rnd.randint(1, 10**6), rnd.choice(WORDS),
                                                rnd.randint(1, 9), rnd.uniform(1, 999)))
            if pi:
                lines = ["id,item,qty,price,mobile"] + [
                    r + ",13%09d" % rnd.randint(0, 10**9 - 1) for r in lines[1:]]
            name = "f%07d.csv" % i
        else:
            while sum(map(len, lines)) < size:
                lines.append(json.dumps({"id": rnd.randint(1, 10**6), "item": rnd.choice(WORDS),
                                         "qty": rnd.randint(1, 9)}))
            if pi:
                lines.insert(1, json.dumps({"id": 1, "email": "user%d@example.com" % i}))
            name = "f%07d.json" % i
        with open(os.path.join(d, name), "w") as f:
            f.write("\n".join(lines))


def gen_table(dest_parquet, dest_csv, rows):
    """rows orders of rows/2 people: resident ID (valid check character), mobile, e-mail,
    amount and SKU, written by DuckDB."""
    import duckdb
    people = max(rows // 2, 1)
    weights = "[" + ",".join(map(str, W)) + "]"
    con = duckdb.connect()
    con.sql(f"""
        CREATE TABLE t AS
        WITH r AS (SELECT i, (i * 2654435761) % {people} AS p FROM range({rows}) t(i)),
        b AS (SELECT i, p,
                '110101' || strftime(DATE '1950-01-01' + CAST(p % 20000 AS INTEGER), '%Y%m%d')
                  || lpad(CAST((p // 20000) % 1000 AS VARCHAR), 3, '0') AS body
              FROM r)
        SELECT body || substr('10X98765432',
                 CAST(list_sum([(ascii(substr(body, k, 1)) - 48) * {weights}[k]
                                for k in range(1, 18)]) % 11 AS INTEGER) + 1, 1) AS id_no,
               '13' || lpad(CAST((p * 7919) % 1000000000 AS VARCHAR), 9, '0') AS mobile,
               'user' || p || '@example.com' AS email,
               round(10 + (i % 9973) / 7.0, 2) AS amount,
               'SKU-' || (i % 50000) AS sku
        FROM b ORDER BY i""")
    con.sql(f"COPY t TO '{dest_parquet}' (FORMAT parquet, COMPRESSION zstd)")
    con.sql(f"COPY t TO '{dest_csv}' (HEADER, DELIMITER ',')")


def run(cmd):
    """(wall seconds, peak RSS in MB) of one run of cmd. The RSS comes from GNU time: a child
    forked straight from this script would report this script's own peak as its floor (Linux
    keeps the high-water mark across exec)."""
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"side-by-side-{os.getpid()}.rss")
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if p.returncode not in (0, 1, 3):
        sys.exit(f"{cmd[0]} exited {p.returncode}: {p.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        rss_kb = int(f.read().split()[-1])
    os.remove(rss_file)
    return wall, rss_kb / 1024


def best(cmd, runs, before=None):
    run(cmd)  # warm the page cache
    results = []
    for _ in range(runs):
        if before:
            before()
        results.append(run(cmd))
    return min(results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/pipl-scan")
    ap.add_argument("--work", default="/tmp/pipl-scan-side-by-side")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--only", default="small,tiny,parquet,csv")
    ap.add_argument("--generate-only", action="store_true", help="make the trees, time nothing")
    ap.add_argument("--files", nargs=2, metavar=("DIR", "N"),
                    help="only write N files of 1-20 KB (the small tree's kinds) under DIR")
    a = ap.parse_args()
    if a.files:
        gen_files(a.files[0], int(a.files[1]), 1000, 20000, seed=11)
        return
    only = a.only.split(",")
    os.makedirs(a.work, exist_ok=True)
    key = os.path.join(a.work, "sketch.key")
    out = os.path.join(a.work, "out")
    scan = [a.bin, "scan", "-q", "--sources", "jsonl", "--key-file", key, "-o", out]
    rg = ["rg", "-c", "--no-messages"] + [x for p in RG_PATTERNS for x in ("-e", p)]
    rows = []

    def clean():
        shutil.rmtree(out, ignore_errors=True)

    for name, n, lo, hi in (("small", 200_000, 1000, 20000), ("tiny", 1_000_000, 100, 1000)):
        if name not in only:
            continue
        n = max(int(n * a.scale), 1)
        root = os.path.join(a.work, f"{name}-{n}")
        if not os.path.isdir(root):
            print(f"generating {n:,} files under {root}…", file=sys.stderr)
            gen_files(root + ".tmp", n, lo, hi, seed=n)
            os.rename(root + ".tmp", root)
        if a.generate_only:
            continue
        mine = best(scan + [root], a.runs, clean)
        ref = best(rg + [root], a.runs)
        rows.append((f"{n:,} files of {lo}-{hi} B", "rg", mine, ref))

    if "parquet" in only or "csv" in only:
        n = max(int(20_000_000 * a.scale), 1)
        pq = os.path.join(a.work, f"orders-{n}.parquet")
        cs = os.path.join(a.work, f"orders-{n}.csv")
        if not os.path.exists(cs):
            print(f"generating {n:,} rows…", file=sys.stderr)
            gen_table(pq + ".tmp", cs + ".tmp", n)
            os.rename(pq + ".tmp", pq)
            os.rename(cs + ".tmp", cs)
        for kind, path in (("parquet", pq), ("csv", cs)):
            if kind not in only or a.generate_only:
                continue
            src = f"read_{kind}('{path}')"
            sql = (f"SELECT count(DISTINCT id_no), count(DISTINCT mobile), count(DISTINCT email) "
                   f"FROM {src}")
            duck = [sys.executable, "-c",
                    f"import duckdb; print(duckdb.connect().sql(\"{sql}\").fetchall())"]
            mine = best(scan + [path], a.runs, clean)
            ref = best(duck, a.runs)
            size = os.path.getsize(path) / 1e9
            rows.append((f"{kind} {size:.2f} GB, {n:,} rows, 3 PI columns", "DuckDB", mine, ref))

    print("| tree | pipl-scan | reference | ratio | peak RSS pipl-scan / reference |")
    print("|---|---|---|---|---|")
    for what, ref_name, (mw, mr), (rw, rr) in rows:
        print(f"| {what} | {mw:.2f} s | {ref_name} {rw:.2f} s | {mw / rw:.2f}× | "
              f"{mr:.0f} MB / {rr:.0f} MB |")


if __name__ == "__main__":
    main()
