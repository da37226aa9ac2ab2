#!/usr/bin/env python3
"""Scan a file share or a data lake's files with pipl-scan on a Spark cluster.

The driver lists the files (walking the share itself, or with Spark's `binaryFile` source,
which lists without reading contents), the listing is repartitioned over the executors by a
hash of the path, and each partition runs the pipl-scan binary shipped with the job on its
paths (`pipl-scan scan --files-from - --null`), all with one sketch key and one reference date.
Each partition's inventory.json and links.bin come back to the driver, which:

* unions the partitions' sketches with Spark SQL (`hll_union_agg` over the inventories'
  base64 Apache DataSketches HLL images, `hll_sketch_estimate` of the union) per source
  system (the top folder below the root), per category and for the totals, and prints them;
* writes the combined inventory with `pipl-scan merge` over the partition inventories, so
  that people are counted exactly on the partitions' link graphs together;
* checks that every Spark SQL estimate lies inside the merged inventory's 95 % interval for
  the same figure, and exits 1 naming the figure when one does not;
* with --profile, assesses the merged inventory (`pipl-scan assess`) and unions each flow's
  sources in Spark SQL too.

    spark-submit --master yarn contrib/spark/pipl_scan_spark.py /mnt/share \\
        -o /data/pipl-scan/2026-12 --binary /opt/pipl-scan/bin/pipl-scan \\
        --key-file /etc/pipl-scan/sketch.key --reference-date 2026-12-01

Everything after `--` is passed to every partition's `pipl-scan scan` (e.g.
`-- --exclude '*.iso' --max-file-size 20G`). See docs/scale.md, section "Spark".

Needs Spark 3.5 or later (the `hll_*` functions); tested with PySpark 4.3.0 on Java 17.
No personal data passes through Spark: only paths, inventories (masked samples, keyed
sketches) and the keyed link graph.
"""

import argparse
import datetime
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

# Exit codes: 0 done, 1 a Spark SQL estimate fell outside the merged inventory's interval,
# 2 an error (a partition's scan or the merge failed, bad arguments).
EXIT_MISMATCH = 1
EXIT_ERROR = 2


class JobError(Exception):
    """An error the job reports in one line and exits 2 on."""


def parse_args(argv):
    scan_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, scan_args = argv[:i], argv[i + 1 :]
    p = argparse.ArgumentParser(
        prog="pipl_scan_spark.py",
        description="Run pipl-scan over a share's files on a Spark cluster and merge the results.",
        epilog="Arguments after -- are passed to every partition's `pipl-scan scan`.",
    )
    p.add_argument("roots", nargs="+", help="folders to scan: local paths (mounted at the same "
                   "path on every node), or with --list spark any URI Spark lists")
    p.add_argument("-o", "--output", required=True,
                   help="output folder on the driver: the merged inventory.json and links.bin, "
                   "partitions/ (each partition's inventory) and spark-union.json")
    p.add_argument("--key-file", required=True,
                   help="sketch key, the same for every partition (created on the driver if "
                   "missing); must exist at this path on every node unless --ship-key")
    p.add_argument("--reference-date",
                   help="YYYY-MM-DD, the same for every partition (default: today on the driver)")
    p.add_argument("--binary", default=shutil.which("pipl-scan") or "pipl-scan",
                   help="the pipl-scan binary on the driver (default: pipl-scan on PATH); "
                   "shipped to the executors with the job unless --no-ship")
    p.add_argument("--no-ship", action="store_true",
                   help="do not ship the binary: it is at --binary on every node")
    p.add_argument("--ship-key", action="store_true",
                   help="ship the key file with the job (only with Spark's RPC encryption on, "
                   "spark.network.crypto.enabled: the key is a secret)")
    p.add_argument("--partitions", type=int, default=0,
                   help="number of partitions (default: spark.default.parallelism)")
    p.add_argument("--list", choices=["driver", "spark"], default="driver",
                   help="driver: walk the roots on the driver, as `pipl-scan scan ROOT` would; "
                   "spark: list with Spark's binaryFile source (contents not read; skips names "
                   "starting with . or _)")
    p.add_argument("--path-map", action="append", default=[], metavar="PREFIX=LOCAL",
                   help="with --list spark: where a listed URI prefix is mounted on the nodes "
                   "(e.g. abfss://lake@acct.dfs.core.windows.net/=/mnt/lake/); repeatable")
    p.add_argument("--profile",
                   help="organisation profile (pipl-scan.toml): assess the merged inventory "
                   "(OUT/assessment/assessment.json) and union each flow's sources in Spark SQL")
    p.add_argument("--stage-dir",
                   help="a folder on storage every node and the driver see: partitions write "
                   "their inventories there instead of sending them to the driver (for "
                   "links.bin larger than spark.driver.maxResultSize)")
    p.add_argument("--threads", type=int, default=0,
                   help="threads of each partition's scan (default: spark.task.cpus)")
    p.add_argument("--log-level", default="WARN",
                   help="Spark's log level for the job (default WARN)")
    p.add_argument("--master", help="Spark master when run with python3, not spark-submit "
                   "(e.g. local[2])")
    a = p.parse_args(argv)
    a.scan_args = scan_args
    for bad in ("-o", "--output", "--key-file", "--reference-date", "--files-from", "--shard",
                "--null", "--threads", "--profile", "--format", "--ledger"):
        if bad in scan_args or any(s.startswith(bad + "=") for s in scan_args):
            p.error(f"`{bad}` after -- is set by the job itself (or has no meaning per partition)")
    if a.reference_date is None:
        a.reference_date = datetime.date.today().isoformat()
    try:
        datetime.date.fromisoformat(a.reference_date)
    except ValueError:
        p.error(f"--reference-date `{a.reference_date}`: not a date YYYY-MM-DD")
    if a.list == "driver":
        for r in a.roots:
            if not os.path.isdir(r):
                p.error(f"root `{r}`: not a folder on the driver")
    return a


# --- listing -------------------------------------------------------------------------------


def list_on_driver(roots, follow_links):
    """(path, root) for every entry pipl-scan's own walk would report: regular files, FIFOs,
    sockets and devices (which pipl-scan records as skipped), hidden ones too. Symbolic links
    are listed only with --follow-links: a listed link would be followed, where the walk
    records it as skipped. Returns the listing and the warnings: links left out, and with
    --follow-links the links that loop back to a folder above them (not descended again)."""
    out, warnings = [], []
    for root in roots:
        root = os.path.abspath(root)

        # A folder that cannot be read is listed itself: the partition's scan walks it and
        # records why it could not, in scan.errors, as a scan of the root would.
        def unreadable(err, root=root):
            out.append((err.filename, root))

        # The folders being walked, by device and inode: os.walk does not detect loops.
        above = {}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links,
                                                    onerror=unreadable):
            dirnames.sort()
            if follow_links:
                st = os.stat(dirpath)
                above = {k: v for k, v in above.items()
                         if dirpath == v or dirpath.startswith(v.rstrip("/") + "/")}
                above[(st.st_dev, st.st_ino)] = dirpath
                for d in list(dirnames):
                    try:
                        st = os.stat(os.path.join(dirpath, d))
                    except OSError:
                        continue
                    if (st.st_dev, st.st_ino) in above:
                        dirnames.remove(d)
                        warnings.append(f"`{os.path.join(dirpath, d)}`: symbolic link loop "
                                        f"(to `{above[(st.st_dev, st.st_ino)]}`), not followed")
            for name in sorted(filenames) + [d for d in dirnames
                                             if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                if os.path.islink(path) and not follow_links:
                    warnings.append(f"`{path}`: symbolic link not listed (not followed; pass "
                                    f"-- --follow-links to scan its target)")
                    continue
                if os.path.isdir(path):
                    continue  # a followed link to a folder: os.walk descends it
                out.append((path, root))
    return out, warnings


def file_uri(uri):
    """`file:///a` and `file://localhost/a` as Spark lists them: `file:/a`."""
    for long in ("file://localhost/", "file:///"):
        if uri.startswith(long):
            return "file:/" + uri[len(long):]
    return uri


def map_uri(uri, path_map):
    """A listed URI as the local path the executors read it at."""
    uri = file_uri(uri)
    for prefix, local in path_map:
        prefix = file_uri(prefix)
        if uri.startswith(prefix):
            return local + urllib.parse.unquote(uri[len(prefix):])
    u = urllib.parse.urlparse(uri)
    if u.scheme in ("", "file"):
        return urllib.parse.unquote(u.path)
    raise JobError(f"`{uri}`: the executors cannot open a {u.scheme}: path; give --path-map "
                   f"{u.scheme}://…=/mount/point/ for where it is mounted on every node")


def list_with_spark(spark, roots, path_map):
    """Spark's binaryFile listing (the content column is never selected, so never read)."""
    out = []
    for root in roots:
        df = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
              .load(root).select("path"))
        uri = root if "://" in root or root.startswith("file:") else (
            "file:" + urllib.parse.quote(os.path.abspath(root)))
        # With the slash, a --path-map of the root's folder maps the root itself too.
        local_root = map_uri(uri.rstrip("/") + "/", path_map).rstrip("/")
        for row in df.toLocalIterator():
            out.append((map_uri(row.path, path_map), local_root))
    return out


def source_system(path, roots):
    """The top folder below the root a source was listed under ('.' for files at the top;
    prefixed by the root's name when there are several roots)."""
    for root in sorted(roots, key=len, reverse=True):
        if path.startswith(root.rstrip("/") + "/"):
            rel = path[len(root.rstrip("/")) + 1:]
            top = rel.split("/", 1)[0] if "/" in rel else "."
            return top if len(roots) == 1 else f"{os.path.basename(root.rstrip('/'))}/{top}"
    return "(other)"


# --- the partitions ------------------------------------------------------------------------


def ship_or_path(path, shipped):
    """The local path of a file on an executor: the copy shipped with the job, or the path
    itself (the same on every node)."""
    if not shipped:
        return path
    from pyspark import SparkFiles

    return SparkFiles.get(os.path.basename(path))


def executable(path, workdir):
    """`path`, or an executable copy of it (files shipped with --files may lose the x bit)."""
    if os.access(path, os.X_OK):
        return path
    copy = os.path.join(workdir, os.path.basename(path))
    shutil.copyfile(path, copy)
    os.chmod(copy, os.stat(copy).st_mode | stat.S_IXUSR | stat.S_IRUSR)
    return copy


def make_partition_runner(cfg):
    """The function each partition runs: scans its paths, returns its inventory (and links
    file) or, with a stage dir, where it wrote them."""

    def run(index, rows):
        paths = [bytes(r.path) for r in rows]
        if not paths:
            return
        t0 = time.time()
        work = tempfile.mkdtemp(prefix=f"pipl-scan-part-{index:05d}-")
        try:
            binary = executable(ship_or_path(cfg["binary"], cfg["ship_binary"]), work)
            key = ship_or_path(cfg["key_file"], cfg["ship_key"])
            out = (os.path.join(cfg["stage_dir"], f"part-{index:05d}") if cfg["stage_dir"]
                   else os.path.join(work, "out"))
            cmd = [binary, "scan", "--files-from", "-", "--null", "-o", out,
                   "--key-file", key, "--reference-date", cfg["reference_date"],
                   "--threads", str(cfg["threads"]), "--quiet"] + cfg["scan_args"]
            listing = b"".join(p + b"\0" for p in paths)
            proc = subprocess.run(cmd, input=listing, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
            # pipl-scan's messages name paths and counts only; samples are masked.
            err = proc.stderr.decode("utf-8", "replace")
            if proc.returncode not in (0, 1):
                raise RuntimeError(f"partition {index}: pipl-scan scan exited "
                                   f"{proc.returncode}: {err.strip()[-2000:]}")
            res = {"index": index, "files": len(paths), "exit": proc.returncode,
                   "seconds": round(time.time() - t0, 3), "warnings": err[-2000:]}
            if cfg["stage_dir"]:
                res["dir"] = out
            else:
                with open(os.path.join(out, "inventory.json"), "rb") as f:
                    res["inventory"] = f.read()
                links = os.path.join(out, "links.bin")
                if os.path.exists(links):
                    with open(links, "rb") as f:
                        res["links"] = f.read()
            yield res
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return run


# --- Spark SQL union -----------------------------------------------------------------------

TOTAL_MEASURES = ("subjects", "sensitive_subjects", "minor_subjects")
SYSTEM_MEASURES = ("subjects", "sensitive_subjects", "minor_subjects")


def sketch_rows(part, inv, roots):
    """The sketches of one partition's inventory as rows for Spark SQL:
    (table, key, measure, sketch, matches, records, files)."""
    rows = []
    t = inv["totals"]
    for m in TOTAL_MEASURES:
        rows.append(("total", m, m, t[m].get("sketch"), 0, 0, 0))
    for std_field in ("sensitive_subjects_by_standard", "non_sensitive_subjects_by_standard"):
        for std, c in sorted(t.get(std_field, {}).items()):
            rows.append(("total", f"{std_field}.{std}", f"{std_field}.{std}", c.get("sketch"),
                         0, 0, 0))
    for c in t["categories"]:
        rows.append(("category", c["detector"], "distinct", c.get("sketch"), c["matches"], 0, 0))
    for s in inv["sources"]:
        sys_ = source_system(s["path"], roots)
        for m in SYSTEM_MEASURES:
            first = m == "subjects"
            rows.append(("system", sys_, m, s[m].get("sketch"), 0,
                         s["records"] if first else 0, 1 if first else 0))
    return [(part,) + r for r in rows]


def spark_union(spark, rows):
    """{(table, key, measure): (estimate, matches, records, files)} from Spark SQL."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType([StructField(n, t) for n, t in [
        ("part", LongType()), ("tbl", StringType()), ("key", StringType()),
        ("measure", StringType()), ("sketch", StringType()), ("matches", LongType()),
        ("records", LongType()), ("files", LongType())]])
    spark.createDataFrame(rows, schema).createOrReplaceTempView("pipl_sketches")
    # An empty sketch is left out of the inventory (no "sketch" key): it adds nothing to a
    # union, and a figure with no sketch at all is 0.
    q = """
        SELECT tbl, key, measure,
               coalesce(hll_sketch_estimate(hll_union_agg(unbase64(sketch))), 0) AS estimate,
               sum(matches) AS matches, sum(records) AS records, sum(files) AS files
        FROM pipl_sketches
        GROUP BY tbl, key, measure
    """
    return {(r.tbl, r.key, r.measure): (r.estimate, r.matches, r.records, r.files)
            for r in spark.sql(q).collect()}


def merged_counts(inv):
    """{(table, key, measure): Count} of the merged inventory, for the figures Spark unions."""
    t = inv["totals"]
    out = {("total", m, m): t[m] for m in TOTAL_MEASURES}
    for std_field in ("sensitive_subjects_by_standard", "non_sensitive_subjects_by_standard"):
        for std, c in t.get(std_field, {}).items():
            out[("total", f"{std_field}.{std}", f"{std_field}.{std}")] = c
    for c in t["categories"]:
        out[("category", c["detector"], "distinct")] = dict(c["distinct"], matches=c["matches"])
    return out


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "  ".join(str(x).rjust(w) if i else str(x).ljust(w)  # noqa: E731
                               for i, (x, w) in enumerate(zip(r, widths)))
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def interval(c):
    return f"{c['estimate']} [{c['low']}–{c['high']}]"


# --- main ----------------------------------------------------------------------------------


def ship(sc, path, flag):
    """Ships a file with the job, unless spark-submit's --files already ships it. A different
    file of the same name there is an error: the executors would run one and the driver the
    other (Spark itself refuses a second file of one name)."""
    path = os.path.abspath(path)
    name = os.path.basename(path)
    conf = sc.getConf()
    listed = ",".join(conf.get(k, "") for k in ("spark.files", "spark.yarn.dist.files"))
    for uri in filter(None, listed.split(",")):
        if os.path.basename(urllib.parse.urlparse(uri).path) != name:
            continue
        local = urllib.parse.unquote(urllib.parse.urlparse(uri).path)
        if os.path.exists(local) and os.path.samefile(local, path):
            return
        raise JobError(f"{flag} `{path}`, but spark-submit --files ships another `{name}` "
                       f"({uri}): give the same file to both, or leave it out of --files")
    sc.addFile(path)


def preflight(binary, a):
    """Scans an empty list on the driver with the partitions' settings before Spark starts: a
    bad flag after -- fails here, once, and not in every task; and the sketch key is made here
    if it does not exist yet, rather than by each partition (every partition must hash with
    one key)."""
    existed = os.path.exists(a.key_file)
    with tempfile.TemporaryDirectory(prefix="pipl-scan-preflight-") as tmp:
        proc = subprocess.run([binary, "scan", "--files-from", "-", "-o", tmp, "--key-file",
                               a.key_file, "--reference-date", a.reference_date, "--quiet"]
                              + a.scan_args, input=b"", capture_output=True)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"]
        raise JobError(f"pipl-scan scan with these settings exited {proc.returncode}: {msg[0]}")
    if not existed:
        print(f"pipl-scan-spark: created the sketch key {a.key_file}; keep it for every later run")


def main(argv):
    a = parse_args(argv)
    binary = a.binary
    if not a.no_ship and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise JobError(f"--binary `{binary}`: no executable pipl-scan there on the driver")
    preflight(binary, a)
    if os.path.exists(a.output) and os.listdir(a.output):
        raise JobError(f"-o {a.output}: not empty; give each run a folder of its own")

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("pipl-scan")
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel(a.log_level)
    t_start = time.time()
    try:
        if not a.no_ship:
            ship(sc, binary, "--binary")
        if a.ship_key:
            ship(sc, a.key_file, "--key-file")
        follow = "--follow-links" in a.scan_args
        if a.list == "driver":
            listed, warnings = list_on_driver(a.roots, follow)
            roots = [os.path.abspath(r) for r in a.roots]
            for w in warnings:
                print(f"pipl-scan-spark: warning: {w}", file=sys.stderr)
        else:
            path_map = [tuple(m.split("=", 1)) for m in a.path_map]
            if any(len(m) != 2 for m in path_map):
                raise JobError("--path-map: expected PREFIX=LOCAL")
            listed = list_with_spark(spark, a.roots, path_map)
            roots = sorted({r for _, r in listed})
        n = a.partitions or sc.defaultParallelism
        threads = a.threads or int(sc.getConf().get("spark.task.cpus", "1"))
        t_listed = time.time()
        print(f"pipl-scan-spark: {len(listed)} files listed in {t_listed - t_start:.1f} s, "
              f"{n} partitions")

        from pyspark.sql.types import BinaryType, StructField, StructType

        # Paths travel as bytes: a file name that is not UTF-8 is still a file to scan.
        df = spark.createDataFrame([(os.fsencode(p),) for p, _ in listed],
                                   StructType([StructField("path", BinaryType())]))
        cfg = {"binary": os.path.abspath(binary) if not a.no_ship else binary,
               "ship_binary": not a.no_ship, "key_file": os.path.abspath(a.key_file),
               "ship_key": a.ship_key, "reference_date": a.reference_date,
               "threads": threads, "scan_args": a.scan_args,
               "stage_dir": os.path.abspath(a.stage_dir) if a.stage_dir else None}
        try:
            results = (df.repartition(n, "path").rdd
                       .mapPartitionsWithIndex(make_partition_runner(cfg)).collect())
        except Exception as e:  # a task's error comes back wrapped in Java's stack trace
            msg = str(e)
            i = msg.find("RuntimeError: partition ")
            raise JobError(msg[i + len("RuntimeError: "):].split("\n")[0] if i >= 0
                           else f"the Spark job failed: {msg.splitlines()[0]}") from None
        t_scanned = time.time()

        # The partitions' inventories, on the driver.
        parts_dir = os.path.join(a.output, "partitions")
        part_dirs, rows = [], []
        for r in sorted(results, key=lambda r: r["index"]):
            d = r.get("dir") or os.path.join(parts_dir, f"part-{r['index']:05d}")
            if "inventory" in r:
                os.makedirs(d)
                with open(os.path.join(d, "inventory.json"), "wb") as f:
                    f.write(r["inventory"])
                if "links" in r:
                    with open(os.path.join(d, "links.bin"), "wb") as f:
                        f.write(r["links"])
            for w in r["warnings"].splitlines():
                print(f"pipl-scan-spark: partition {r['index']}: {w}", file=sys.stderr)
            with open(os.path.join(d, "inventory.json"), encoding="utf-8") as f:
                rows += sketch_rows(r["index"], json.load(f), roots)
            part_dirs.append(d)
        print(f"pipl-scan-spark: {len(part_dirs)} partitions scanned in "
              f"{t_scanned - t_listed:.1f} s "
              f"(slowest {max([r['seconds'] for r in results] or [0]):.1f} s)")

        # The combined inventory, people counted exactly on all the partitions' graphs.
        if part_dirs:
            cmd = [binary, "merge"] + part_dirs + ["-o", a.output, "--quiet"]
            proc = subprocess.run(cmd, capture_output=True)
        else:  # nothing listed: the inventory of an empty scan, made with the same settings
            cmd = [binary, "scan", "--files-from", "-", "-o", a.output, "--key-file",
                   a.key_file, "--reference-date", a.reference_date, "--quiet"] + a.scan_args
            proc = subprocess.run(cmd, input=b"", capture_output=True)
        if proc.returncode != 0:
            raise JobError(f"{' '.join(cmd[:2])} exited {proc.returncode}: "
                           f"{proc.stderr.decode('utf-8', 'replace').strip()}")
        with open(os.path.join(a.output, "inventory.json"), encoding="utf-8") as f:
            merged = json.load(f)
        t_merged = time.time()

        assessment = None
        if a.profile:
            assessment = assess(binary, a)
            rows += flow_rows(assessment["flows"], merged)
        union = spark_union(spark, rows) if rows else {}
        t_union = time.time()
        return report(a, merged, union, assessment, {
            "list_seconds": round(t_listed - t_start, 3),
            "scan_seconds": round(t_scanned - t_listed, 3),
            "merge_seconds": round(t_merged - t_scanned, 3),
            "union_seconds": round(t_union - t_merged, 3),
            "partitions": len(part_dirs), "files_listed": len(listed)})
    finally:
        spark.stop()


def assess(binary, a):
    """`pipl-scan assess` of the merged inventory with the profile: its flows (each with the
    sources its globs matched, by pipl-scan's own matching) and its determination."""
    out = os.path.join(a.output, "assessment")
    cmd = [binary, "assess", os.path.join(a.output, "inventory.json"), "--profile", a.profile,
           "--format", "json", "-o", out, "--exit-zero", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise JobError(f"pipl-scan assess --profile {a.profile} exited {proc.returncode}: "
                       f"{proc.stderr.decode('utf-8', 'replace').strip()}")
    with open(os.path.join(out, "assessment.json"), encoding="utf-8") as f:
        return json.load(f)["assessment"]


def flow_rows(flows, merged):
    """The sketches of each flow's sources, as rows for Spark SQL (see sketch_rows)."""
    by_path = {s["path"]: s for s in merged["sources"]}
    rows = []
    for fl in flows:
        for path in fl.get("sources", []):
            s = by_path.get(path)
            if s is None:
                continue
            for m in SYSTEM_MEASURES:
                first = m == "subjects"
                rows.append((-1, "flow", fl["name"], m, s[m].get("sketch"), 0,
                             s["records"] if first else 0, 1 if first else 0))
    return rows


def report(a, merged, union, assessment, timing):
    """Prints the Spark SQL figures beside the merged inventory's, writes spark-union.json,
    and returns the exit code: 1 when a Spark SQL estimate is outside the merged interval."""
    counts = merged_counts(merged)
    mismatches, checked = [], []
    for k, c in sorted(counts.items()):
        est = union.get(k, (0, 0, 0, 0))[0]
        ok = c["low"] <= est <= c["high"]
        checked.append({"table": k[0], "key": k[1], "measure": k[2], "spark": est,
                        "merged": {x: c[x] for x in ("estimate", "low", "high")}, "ok": ok})
        if not ok:
            mismatches.append(f"{k[0]} {k[1]} {k[2]}: Spark SQL {est}, merged {interval(c)}")

    systems = sorted({k[1] for k in union if k[0] == "system"})
    sys_rows = []
    for s in systems:
        sub = union[("system", s, "subjects")]
        sys_rows.append([s, sub[3], sub[2], sub[0], union[("system", s, "sensitive_subjects")][0],
                         union[("system", s, "minor_subjects")][0]])
    print("\nPer source system (Spark SQL, hll_union_agg over the sources' sketches)")
    print(table(["system", "files", "records", "subjects", "sensitive", "minors"], sys_rows))

    flow_table = []
    if assessment is not None:
        for fl in assessment["flows"]:
            u = lambda m: union.get(("flow", fl["name"], m), (0, 0, 0, 0))  # noqa: E731
            people = fl.get("inventory", {}).get("subjects", {})
            flow_table.append([fl["name"], fl.get("recipient", ""), u("subjects")[3],
                               u("subjects")[0], u("sensitive_subjects")[0],
                               u("minor_subjects")[0], people.get("estimate", "")])
        print("\nPer flow (Spark SQL over the sources the profile's flows name; people: "
              "pipl-scan assess)")
        print(table(["flow", "recipient", "files", "subjects", "sensitive", "minors",
                     "people"], flow_table))

    cat_rows = []
    for c in merged["totals"]["categories"]:
        k = ("category", c["detector"], "distinct")
        cat_rows.append([c["detector"], c["category"], c["matches"], union.get(k, (0,))[0],
                         interval(c["distinct"])])
    print("\nPer category: distinct values")
    print(table(["detector", "category", "matches", "Spark SQL", "merged [95 %]"], cat_rows))

    tot_rows = [[k[1], union.get(k, (0,))[0], interval(c)]
                for k, c in sorted(counts.items()) if k[0] == "total"]
    people = merged["totals"].get("people")
    print("\nTotals")
    print(table(["figure", "Spark SQL", "merged [95 %]"], tot_rows))
    if people:
        print(f"people (linked exactly by pipl-scan merge): {people['people']}, "
              f"sensitive {people['sensitive']}, minors {people['minors']}")
    else:
        print(f"people: unavailable ({merged['totals'].get('people_unavailable')})")
    print(f"\npipl-scan-spark: {timing['files_listed']} files, {timing['partitions']} "
          f"partitions; list {timing['list_seconds']} s, scan {timing['scan_seconds']} s, "
          f"merge {timing['merge_seconds']} s, Spark SQL union {timing['union_seconds']} s; "
          f"inventory {os.path.join(a.output, 'inventory.json')}"
          f"{'' if merged['scan']['complete'] else ' (INCOMPLETE: see scan.errors)'}")
    if assessment is not None:
        print(f"pipl-scan-spark: assessment: {assessment['decision'].get('mechanism')} "
              f"(assess exit code {assessment['exit_code']}); "
              f"{os.path.join(a.output, 'assessment', 'assessment.json')}")

    doc = {"reference_date": a.reference_date, "timing": timing, "checked": checked,
           "systems": [dict(zip(["system", "files", "records", "subjects", "sensitive",
                                 "minors"], r)) for r in sys_rows],
           "flows": [dict(zip(["flow", "recipient", "files", "subjects", "sensitive",
                               "minors", "people"], r)) for r in flow_table],
           "assess_exit_code": assessment and assessment["exit_code"],
           "people": people and people["people"]}
    with open(os.path.join(a.output, "spark-union.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    if mismatches:
        print("pipl-scan-spark: error: Spark SQL and the merged inventory disagree beyond the "
              "sketches' interval: " + "; ".join(mismatches), file=sys.stderr)
        return EXIT_MISMATCH
    print(f"pipl-scan-spark: the {len(checked)} Spark SQL estimates are inside the merged "
          f"inventory's intervals")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except JobError as e:
        print(f"pipl-scan-spark: error: {e}", file=sys.stderr)
        sys.exit(EXIT_ERROR)
