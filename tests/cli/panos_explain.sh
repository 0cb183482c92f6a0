#!/usr/bin/env bash
# rstscope explain (issue 10) on the bundled loopback capture and a PAN-OS
# log made from it the way real logs differ: local time (UTC+01:00, found by
# itself), syslog headers on some lines, a session seen after source NAT,
# end reasons and an application the firewall saw differently, a line for a
# session the capture lacks, a session the log lacks, a THREAT line, and
# malformed lines (reported on stderr with their numbers; the rest is kept,
# exit 0). Then the three output formats, --only=disagree, --log-tz, stdin,
# and usage and input errors.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOP=${TOP:-.}
pcap="$TOP/examples/loopback-resets.pcap"

"$RSTSCOPE" analyze --format=panos -q "$pcap" >"$d/base.log" || fail "analyze"
python3 - "$d/base.log" "$d/fw.log" <<'PY' || fail "making the log"
import csv, io, sys, datetime
rows = list(csv.reader(open(sys.argv[1])))
def shift(t):  # UTC -> the firewall's local time, UTC+01:00
    return (datetime.datetime.strptime(t, "%Y/%m/%d %H:%M:%S") + datetime.timedelta(hours=1)).strftime("%Y/%m/%d %H:%M:%S")
out = []
def emit(r, prefix=""):
    s = io.StringIO()
    csv.writer(s, lineterminator="").writerow(r)
    out.append(prefix + s.getvalue())
by_port = {r[25]: r for r in rows}
for r in rows:
    for i in (1, 6, 21, 35):
        r[i] = shift(r[i])
by_port["22000"][46] = "aged-out"                 # the firewall missed the FINs
by_port["22003"][46] = "tcp-rst-from-client"      # ... and saw the other side reset
by_port["22009"][14] = "facebook-base"            # App-ID knows more applications
n = by_port["22001"]                              # seen after source NAT
n[9], n[26] = n[7], n[24]
n[7], n[24] = "192.168.7.7", "40001"
n[11] = "Allow, loopback"                         # a quoted field with a comma
emit(rows[0], "<14>Nov 27 21:35:59 fw-lab " )
out.append("this line is not a log line")         # line 2: malformed
for r in rows[1:]:
    if r[25] == "22199":
        continue                                  # the log lacks the UDP session
    emit(r, "<14>Nov 27 21:35:59 fw-lab " if r[25] == "22002" else "")
ghost = list(rows[0])
ghost[7], ghost[24], ghost[22] = "10.99.0.1", "1111", "999"
emit(ghost)                                       # no such captured session
short = ",".join(rows[0][:30])
out.append(short)                                 # malformed: too few fields
out.append("1,2026/11/27 21:36:00,,THREAT,vulnerability,1,2026/11/27 21:36:00,127.161.1.1,127.161.1.2,0.0.0.0,0.0.0.0,r,,,web-browsing,,,,,,,2026/11/27 21:36:00,1,1,22200,22000,0,0,0x0,tcp,alert,\"x\",Example(1),any,low,client-to-server,1,0x0,,,0")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
nlines=$(wc -l <"$d/fw.log")

"$RSTSCOPE" explain --log="$d/fw.log" --format=jsonl "$pcap" >"$d/rows.jsonl" 2>"$d/err"
rc=$?
[ $rc -eq 0 ] || { cat "$d/err"; fail "explain exit $rc"; }
grep -q "fw.log:2: not a PAN-OS log line" "$d/err" || { cat "$d/err"; fail "line 2 not reported"; }
grep -q "fw.log:$((nlines - 1)): TRAFFIC line with 30 fields" "$d/err" || { cat "$d/err"; fail "short line not reported"; }
grep -q "UTC+01:00 (detected)" "$d/err" || { cat "$d/err"; fail "time zone not detected"; }
grep -q "8 paired (5 agree, 3 differ), 1 log lines with no captured session, 1 captured sessions not in the log" "$d/err" ||
    { cat "$d/err"; fail "summary"; }
grep -q "2 malformed, 0 start and 1 other lines skipped" "$d/err" || { cat "$d/err"; fail "skip counts"; }

python3 - "$d/rows.jsonl" <<'PY' || fail "rows"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)
kinds = [r["kind"] for r in rows]
want(kinds.count("matched") == 8 and kinds.count("log-only") == 1 and kinds.count("capture-only") == 1, f"kinds {kinds}")
want(kinds[-1] == "capture-only", "capture-only rows come last")
m = {r["dport"]: r for r in rows if r["kind"] == "matched"}
r = m[22000]
want(r["agree_end_reason"] == "no" and "neither FIN nor RST" in r["diagnosis"], f"22000: {r['diagnosis']}")
r = m[22003]
want(r["agree_end_reason"] == "no" and "names the client as the resetter" in r["diagnosis"], f"22003: {r['diagnosis']}")
r = m[22009]
want(r["agree_app"] == "no" and r["agree_end_reason"] == "yes" and "facebook-base" in r["diagnosis"], f"22009: {r['diagnosis']}")
r = m[22001]
want(r["via_nat"] and r["agree"] and r["src"] == "192.168.7.7" and r["client"] == "127.161.2.1", f"22001 NAT: {r}")
want(r["log_rule"] == "Allow, loopback", "quoted rule")
want(all(abs(x["start_delta"]) < 1 for x in m.values()), "start deltas after the offset")
lo = [r for r in rows if r["kind"] == "log-only"][0]
want(lo["src"] == "10.99.0.1" and lo["uid"] is None and "No captured session" in lo["diagnosis"], f"log-only: {lo}")
co = rows[-1]
want(co["server_port"] == 22199 and co["line"] is None and "still open" in co["diagnosis"], f"capture-only: {co}")
want([r["line"] for r in rows if r["line"] is not None] == sorted(r["line"] for r in rows if r["line"] is not None), "file order")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY

# csv and table: the same rows
"$RSTSCOPE" explain --log="$d/fw.log" --format=csv -q "$pcap" >"$d/rows.csv" 2>/dev/null || fail "csv"
python3 - "$d/rows.csv" "$d/rows.jsonl" <<'PY' || fail "csv rows"
import csv, json, sys
c = list(csv.DictReader(open(sys.argv[1])))
j = [json.loads(l) for l in open(sys.argv[2])]
assert len(c) == len(j), (len(c), len(j))
for a, b in zip(c, j):
    assert a["kind"] == b["kind"] and a["diagnosis"] == b["diagnosis"], (a, b)
    assert a["agree"] == ("true" if b["agree"] else "false")
PY
"$RSTSCOPE" explain --log="$d/fw.log" --format=table -q "$pcap" >"$d/rows.txt" 2>/dev/null || fail "table"
[ "$(grep -c '^ *why: ' "$d/rows.txt")" -eq 10 ] || { cat "$d/rows.txt"; fail "table: 10 rows with why"; }
grep -q "capture-only" "$d/rows.txt" || fail "table: capture-only"
"$RSTSCOPE" explain --log="$d/fw.log" --format=jsonl --only=disagree -q "$pcap" >"$d/dis.jsonl" 2>/dev/null || fail "--only"
[ "$(wc -l <"$d/dis.jsonl")" -eq 5 ] || fail "--only=disagree: want 3 differing + 2 unpaired rows"

# --log-tz: explicit offsets; UTC leaves the local-time lines unpaired
"$RSTSCOPE" explain --log="$d/fw.log" --log-tz=+01:00 --format=jsonl -q "$pcap" >"$d/tz.jsonl" 2>/dev/null || fail "--log-tz"
cmp -s <(python3 -c 'import json,sys; [print(json.loads(l)["kind"], json.loads(l)["line"]) for l in open(sys.argv[1])]' "$d/tz.jsonl") \
       <(python3 -c 'import json,sys; [print(json.loads(l)["kind"], json.loads(l)["line"]) for l in open(sys.argv[1])]' "$d/rows.jsonl") ||
    fail "--log-tz=+01:00 differs from the detected zone"
"$RSTSCOPE" explain --log="$d/fw.log" --log-tz=UTC --format=jsonl "$pcap" >"$d/utc.jsonl" 2>"$d/utc.err" || fail "--log-tz=UTC"
grep -q "0 paired" "$d/utc.err" || { cat "$d/utc.err"; fail "--log-tz=UTC should pair nothing"; }
"$RSTSCOPE" explain --log="$d/fw.log" --log-tz=UTC --tolerance=3601s --format=jsonl "$pcap" >/dev/null 2>"$d/tol.err" || fail "--tolerance"
grep -q "8 paired" "$d/tol.err" || { cat "$d/tol.err"; fail "--tolerance=3601s should pair all"; }

# the log on stdin
"$RSTSCOPE" explain --log=- --format=jsonl -q "$pcap" <"$d/fw.log" >"$d/stdin.jsonl" 2>"$d/stdin.err" || fail "stdin"
grep -q "^rstscope: stdin:2: not a PAN-OS log line" "$d/stdin.err" || fail "stdin: line numbers"
cmp -s <(cut -d'"' -f1-8 "$d/stdin.jsonl") <(cut -d'"' -f1-8 "$d/rows.jsonl") || fail "stdin rows differ"

# errors
"$RSTSCOPE" explain "$pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "no --log: want 1"
"$RSTSCOPE" explain --log="$d/fw.log" >/dev/null 2>&1; [ $? -eq 1 ] || fail "no capture: want 1"
"$RSTSCOPE" explain --log="$d/fw.log" --tolerance=soon "$pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad tolerance"
"$RSTSCOPE" explain --log="$d/fw.log" --log-tz=+25:00 "$pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad tz"
"$RSTSCOPE" explain --log="$d/fw.log" --format=zeek "$pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad format"
"$RSTSCOPE" explain --log="$d/nope.log" "$pcap" >/dev/null 2>"$d/err"; [ $? -eq 2 ] || fail "missing log: want 2"
grep -q "nope.log" "$d/err" || fail "missing log: message"
"$RSTSCOPE" explain --log="$d/fw.log" "$d/fw.log" >/dev/null 2>&1; [ $? -eq 2 ] || fail "log as capture: want 2"
"$RSTSCOPE" --help | grep -q "explain" || fail "main help lacks explain"
echo "explain ok"
