#!/bin/sh
# Builds the fuzz corpora in /tmp/fuzz-corpus-TARGET from the project's fixtures, the shared
# third-party corpus (when present) and a few tiny files made here (SQLite, archives). A seed
# starts with the byte that makes the target read it as its format (see each target's `pick`).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fx="$here/../fixtures"
sc="${SHARED_CORPUS:-$here/../../shared/corpus}"
out="${FUZZ_CORPUS_ROOT:-/tmp}"
tmp=$(mktemp -d /tmp/fuzz-seed-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# seed TARGET SELECTOR FILE: the file prefixed with the selector byte (decimal; "-" for none).
seed() {
    d="$out/fuzz-corpus-$1"; mkdir -p "$d"
    [ "$(wc -c <"$3")" -le 1048576 ] || return 0
    n="$d/$2-$(basename "$3" | tr -c 'A-Za-z0-9._\n-' _)"
    if [ "$2" = - ]; then cp "$3" "$n"; else { printf "\\$(printf %03o "$2")"; cat "$3"; } >"$n"; fi
}
each() { find "$@" -type f 2>/dev/null || true; }

for f in $(each "$fx/text"); do seed text 3 "$f"; seed detect 0 "$f"; seed any 0 "$f"; done
for f in $(each "$fx/tabular" -name '*.csv'); do seed csv 0 "$f"; seed any 2 "$f"; done
for f in $(each "$fx/tabular" -name '*.txt'); do seed text 3 "$f"; seed csv 1 "$f"; done
for f in $(each "$fx/tabular" -name '*.json'); do seed json 0 "$f"; seed any 4 "$f"; done
for f in $(each "$fx/tabular" -name '*.jsonl'); do seed json 1 "$f"; seed any 5 "$f"; done
for f in $(each "$fx/tabular" "$sc/spreadsheets" -name '*.xlsx'); do seed sheet 0 "$f"; seed any 6 "$f"; done
for f in $(each "$fx/tabular" "$sc/spreadsheets" -name '*.xlsm'); do seed sheet 1 "$f"; done
for f in $(each "$sc/spreadsheets" -name '*.xlsb'); do seed sheet 2 "$f"; done
for f in $(each "$sc/spreadsheets" -name '*.xls'); do seed sheet 3 "$f"; seed any 7 "$f"; done
for f in $(each "$fx/tabular" "$sc/spreadsheets" -name '*.ods'); do seed sheet 4 "$f"; seed any 8 "$f"; done
for f in $(each "$sc/parquet" -name '*.parquet'); do seed parquet - "$f"; seed any 9 "$f"; done
for f in $(each "$sc/sql" -name '*.sql'); do seed sqldump 0 "$f"; seed sqldump 1 "$f"; seed any 10 "$f"; done
for e in docx:0 pptx:1 odt:2 odp:3 pdf:4 eml:5 mbox:6 msg:7 rtf:10 doc:11 ppt:12; do
    for f in $(each "$sc/documents" -name "*.${e%:*}"); do seed document "${e#*:}" "$f"; done
done
for f in $(each "$sc/documents" -name '*.docx' -size -64k); do seed any 16 "$f"; done
for f in $(each "$sc/documents" -name '*.pdf' -size -64k); do seed any 17 "$f"; done

# Tiny generated seeds: an HTML page, an XML file, a SQLite database, archives of a fixture.
csv="$fx/tabular/customers_10_subjects.csv"
printf '<html><body><p>Name: 张三 <b>13800138000</b></p><table><tr><td>a@b.cn</td></tr></table></body></html>' >"$tmp/p.html"
printf '<?xml version="1.0"?><people><p id="1"><phone>13800138000</phone></p></people>' >"$tmp/p.xml"
seed document 8 "$tmp/p.html"; seed document 9 "$tmp/p.xml"; seed any 19 "$tmp/p.html"
if command -v sqlite3 >/dev/null; then
    sqlite3 "$tmp/t.db" "CREATE TABLE t(name TEXT, phone TEXT, id INTEGER); INSERT INTO t VALUES('张三','13800138000',1),('李四','13900139000',2);"
    seed sqlite - "$tmp/t.db"; seed any 11 "$tmp/t.db"
fi
printf 'INSERT INTO `t` VALUES (1,'"'"'a@b.cn'"'"');\n' >"$tmp/m.sql"
printf 'COPY public.t (id, phone) FROM stdin;\n1\t13800138000\n\\.\n' >"$tmp/p.sql"
seed sqldump 0 "$tmp/m.sql"; seed sqldump 1 "$tmp/p.sql"
cp "$csv" "$tmp/c.csv"
(cd "$tmp" && zip -q c.zip c.csv && tar cf c.tar c.csv && gzip -kf c.csv && gzip -c c.tar >c.tar.gz \
    && zstd -qf c.csv -o c.csv.zst && bzip2 -kf c.csv && xz -kf c.csv) 2>/dev/null || true
for e in zip:0 tar:1 csv.gz:2 tar.gz:3 csv.zst:5 csv.bz2:6 csv.xz:7; do
    [ -f "$tmp/c.${e%:*}" ] && seed archive "${e#*:}" "$tmp/c.${e%:*}"
done
[ -f "$tmp/c.zip" ] && seed any 13 "$tmp/c.zip"
[ -f "$tmp/c.tar" ] && seed any 14 "$tmp/c.tar"
[ -f "$tmp/c.csv.gz" ] && seed any 15 "$tmp/c.csv.gz"
for t in text csv json sheet parquet sqldump sqlite archive document detect any; do
    printf '%s: %s seeds\n' "$t" "$(ls "$out/fuzz-corpus-$t" 2>/dev/null | wc -l)"
done
