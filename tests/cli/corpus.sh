#!/usr/bin/env bash
# Every capture of the shared corpus is read without a crash or a hang, and
# zeek_score.py runs to completion against --format=zeek.
set -u
corpus="$TOP/../shared/corpus"
if [ ! -d "$corpus" ]; then echo "skipped: ../shared/corpus is not there"; exit 77; fi
fail=0; n=0
while IFS= read -r f; do
    n=$((n + 1))
    timeout 60 "$RSTSCOPE" analyze --format=jsonl -q "$f" >/dev/null 2>/tmp/corpus.err.$$
    rc=$?
    if [ $rc -ne 0 ]; then echo "FAIL ($rc): $f"; head -3 /tmp/corpus.err.$$; fail=1; fi
    timeout 60 "$RSTSCOPE" analyze --format=zeek --checksums=verify -q "$f" >/dev/null 2>&1 || { echo "FAIL zeek: $f"; fail=1; }
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
rm -f /tmp/corpus.err.$$
echo "$n captures read"
[ "$n" -gt 100 ] || { echo "too few captures found"; fail=1; }
score="$TOP/../shared/conformance/zeek_score.py"
if [ -f "$score" ]; then
    out=$(python3 "$score" --tool "$RSTSCOPE analyze --format=zeek" --timeout 60 | tail -n 2)
    echo "$out"
    echo "$out" | grep -q 'tool failures 0' || { echo "zeek_score: tool failures"; fail=1; }
    echo "$out" | grep -q '^zeek conformance: rows' || fail=1
fi
exit $fail
