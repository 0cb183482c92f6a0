#!/usr/bin/env bash
# san: once
# Round trip (issue 10): `analyze --format=panos` of every capture of the
# shared corpus (and the bundled loopback capture), read back by `explain
# --log`, pairs every session with its own line (the log's Session ID is the
# record id) and agrees on end reason, application and counts; no line and
# no session is left over. Skips (77) without ../shared/corpus; runs in the
# normal build only (the unit tests cover the same code under the sanitizers).
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOP=${TOP:-.}
corpus="$TOP/../shared/corpus"
if [ ! -d "$corpus" ]; then echo "skipped: ../shared/corpus is not there"; exit 77; fi

# Writes each capture's log and explain rows under $d/N.*; one python run
# checks them all at the end (a process per capture would double the time).
check() {
    local f=$1 k=$2
    timeout 120 "$RSTSCOPE" analyze --format=panos -q "$f" >"$d/$k.log" 2>"$d/err" ||
        { echo "analyze failed on $f"; head -3 "$d/err"; return 1; }
    timeout 120 "$RSTSCOPE" explain --log="$d/$k.log" --format=jsonl -q "$f" >"$d/$k.rows" 2>"$d/err" ||
        { echo "explain failed ($?) on $f"; head -3 "$d/err"; return 1; }
    # Damage notes about a capture are fine; nothing may be said about the log.
    if grep -q "$d/$k.log" "$d/err"; then echo "explain complained about the log of $f:"; head -3 "$d/err"; return 1; fi
    printf '%s\t%s\n' "$k" "$f" >>"$d/index"
}

n=0; bad=0
: >"$d/index"
check "$TOP/examples/loopback-resets.pcap" 0 || bad=$((bad + 1))
while IFS= read -r f; do
    n=$((n + 1))
    check "$f" "$n" || bad=$((bad + 1))
done < <(find "$corpus" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | sort)
python3 - "$d" <<'PY' || bad=$((bad + 1))
import json, sys
d = sys.argv[1]
failed = sessions = 0
for entry in open(f"{d}/index"):
    k, name = entry.rstrip("\n").split("\t", 1)
    rows = [json.loads(l) for l in open(f"{d}/{k}.rows")]
    nlog = sum(1 for _ in open(f"{d}/{k}.log", encoding="utf-8", errors="replace"))
    sessions += nlog
    bad = []
    # A record without its line would be a capture-only row: rows == lines
    # means every record has exactly one line.
    if len(rows) != nlog:
        bad.append(f"{len(rows)} rows for {nlog} log lines")
    for r in rows:
        why = []
        if r["kind"] != "matched":
            why.append(r["kind"])
        else:
            if r["log_session_id"] != r["id"]:
                why.append(f"session {r['log_session_id']} paired with record {r['id']}")
            for f in ("agree_end_reason", "agree_app", "agree_counts"):
                if r[f] != "yes":
                    why.append(f"{f}={r[f]}")
            if not r["agree"] or r["via_nat"] or r["reversed"]:
                why.append("not plain agreement")
        if why:
            bad.append(f"line {r['line']}: {', '.join(why)}: {r['diagnosis'][:160]}")
    if bad:
        failed += 1
        print(f"{name}:")
        for b in bad[:5]:
            print("   ", b)
print(f"{sessions} sessions round-tripped; captures with problems: {failed}")
sys.exit(1 if failed else 0)
PY
echo "$n corpus captures checked"
[ "$n" -gt 100 ] || fail "too few captures found"
[ "$bad" -eq 0 ] || fail "the round trip failed (see above)"
exit 0
