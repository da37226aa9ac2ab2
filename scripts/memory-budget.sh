#!/bin/sh
# Peak resident memory of pipl-scan under a 1 GiB address-space budget: one scan per file of the
# shared third-party corpus, then one per decompression bomb (examples/gen_bombs.rs: a zip and a
# gzip of 2 GiB of zeros, an xlsx whose sheet is 2 GiB of XML, Parquet files whose page header or
# footer declares more than the file may expand to). Each scan runs under
# `prlimit --as=1GiB` and `/usr/bin/time -v`; the table (Markdown) gives the file, the exit code,
# the statuses its inventory records and the peak RSS. A scan that cannot keep within the budget
# aborts (exit 134, "memory allocation … failed") and shows here as its exit code.
#
#   cargo build --release && scripts/memory-budget.sh [WORK_DIR]
#
# Environment: PIPL_SCAN (the binary; default target/release/pipl-scan), SHARED_CORPUS (default
# ../shared/corpus), BUDGET (bytes; default 1 GiB). The bombs are written once to WORK_DIR/bombs
# (about 20 MiB; generating them takes a few minutes), or read from BOMBS when set.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bin="${PIPL_SCAN:-$here/target/release/pipl-scan}"
corpus="${SHARED_CORPUS:-$here/../shared/corpus}"
budget="${BUDGET:-$((1 << 30))}"
work="${1:-$(mktemp -d /tmp/memory-budget-XXXXXX)}"
mkdir -p "$work"
[ -x "$bin" ] || { echo "memory-budget: no binary at $bin (cargo build --release)" >&2; exit 2; }
command -v prlimit >/dev/null || { echo "memory-budget: prlimit (util-linux) is needed" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "memory-budget: GNU time (/usr/bin/time) is needed" >&2; exit 2; }
bombs="${BOMBS:-$work/bombs}"
if [ ! -f "$bombs/page-bomb.parquet" ]; then
    (cd "$here" && cargo run --release -q --example gen_bombs -- "$bombs") >/dev/null || exit 2
fi
files=$(
    [ -d "$corpus" ] && find "$corpus" -type f ! -name README.md | sort
    find "$bombs" -type f | sort
)
[ -d "$corpus" ] || echo "memory-budget: no corpus at $corpus: bombs only" >&2
echo "| file | bytes | exit | statuses | peak RSS (MiB) |"
echo "|---|---:|---:|---|---:|"
max=0
n=0
over=0
old_ifs=$IFS
IFS='
'
for f in $files; do
    out="$work/out"
    rm -rf "$out"
    prlimit --as="$budget" /usr/bin/time -v -o "$work/time" \
        "$bin" scan "$f" -o "$out" -q >/dev/null 2>"$work/stderr"
    rc=$?
    kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
    mib=$(( (${kib:-0} + 512) / 1024 ))
    statuses=$(grep -o '"status": "[a-z]*"' "$out/inventory.json" 2>/dev/null \
        | sed 's/.*: "//; s/"//' | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}')
    case $f in
        "$bombs"/*) name="bomb: ${f#"$bombs"/}" ;;
        "$corpus"/*) name=${f#"$corpus"/} ;;
        *) name=$f ;;
    esac
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$(wc -c <"$f")" "$rc" "${statuses:-none}" "$mib"
    [ "$mib" -gt "$max" ] && max=$mib
    [ "$rc" -ne 0 ] && over=$((over + 1))
    n=$((n + 1))
done
IFS=$old_ifs
echo
echo "$n scans under a $((budget >> 20)) MiB address-space limit: highest peak RSS $max MiB, $over exited non-zero."
[ "$over" -eq 0 ]
