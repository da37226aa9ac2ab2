#!/bin/sh
# Runs every fuzz target, one after another (one process, one worker each), for SECONDS each (default 240) on the corpora
# seed.sh made; prints each run's last status line (execs, cov, ft). Crashes, hangs and
# out-of-memory inputs are written to fuzz/artifacts/TARGET/.
set -u
secs="${1:-240}"
shift || true
targets="${*:-text csv json sheet parquet sqldump sqlite archive document detect any}"
cd "$(dirname "$0")"
for t in $targets; do
    log="/tmp/fuzz-log-$t.txt"
    RAYON_NUM_THREADS=1 cargo +nightly fuzz run -s none "$t" "/tmp/fuzz-corpus-$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    printf '%s rc=%s %s\n' "$t" "$rc" "$(grep -E '^#[0-9]+' "$log" | tail -1)"
    grep -E 'stat::number_of_executed_units|stat::peak_rss|SUMMARY|Test unit written' "$log" | sed 's/^/    /'
done
