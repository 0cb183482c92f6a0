#!/usr/bin/env bash
# rstscope summary end to end (issue #5): a capture written by the project's
# packet writer (tests/tools/gen_summary.c: normal sessions, a RST flood, SYN
# flood backscatter from 30 hosts, a little noise) and the bundled loopback
# capture. Checks the JSON numbers, that they equal analyze's records counted
# by end_reason/app/rst_cause, that the text shows the same numbers, damage
# and decode problems, and the exit codes.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}

"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"

# Compares summary --format=json with analyze --format=jsonl on the same input
# and options, and the text rendering with the JSON. Extra checks by name.
check() {
    local name=$1 pcap=$2; shift 2
    "$RSTSCOPE" analyze --format=jsonl -q "$@" "$pcap" >"$d/$name.jsonl" 2>/dev/null ||
        fail "$name: analyze exit $?"
    "$RSTSCOPE" summary --format=json "$@" "$pcap" >"$d/$name.json" 2>"$d/$name.err" ||
        fail "$name: summary json exit $?"
    "$RSTSCOPE" summary "$@" "$pcap" >"$d/$name.txt" 2>/dev/null || fail "$name: summary text exit $?"
    python3 - "$d/$name.jsonl" "$d/$name.json" "$d/$name.txt" "$name" <<'PY' || fail "$name: numbers differ"
import collections, json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
s = json.load(open(sys.argv[2]))
txt = open(sys.argv[3], encoding="utf-8").read()
name = sys.argv[4]
bad = []
def eq(what, a, b):
    if a != b:
        bad.append(f"{what}: {a!r} != {b!r}")

# counts equal analyze's records
ends = collections.Counter(r["end_reason"] for r in recs)
eq("sessions", s["capture"]["sessions"], len(recs))
for k, v in s["by_end_reason"].items():
    eq(f"end {k}", v, ends.get(k, 0))
eq("end reasons", set(k for k in ends), set(k for k, v in s["by_end_reason"].items() if v))
resets = ends["tcp-rst-from-client"] + ends["tcp-rst-from-server"]
eq("resets", s["resets"]["sessions"], resets)
eq("timeline total", s["timeline"]["total"], resets)
eq("timeline sum", sum(s["timeline"]["resets"]), resets)
eq("cells sum", sum(s["timeline"]["cells"]), resets)
apps = collections.Counter(r["app"] or "(none)" for r in recs)
if s["apps_total"] == len(s["by_app"]):
    eq("apps", {a["app"]: a["sessions"] for a in s["by_app"]}, dict(apps))
causes = collections.Counter(r["rst_cause"] for r in recs if r["rst_cause"])
eq("causes", {c["cause"]: c["sessions"] for c in s["by_rst_cause"]}, dict(causes))
for c in s["by_rst_cause"]:
    eq(f"cause {c['cause']} sides", c["by_client"] + c["by_server"], c["resets"])
    if not c["meaning"]:
        bad.append(f"cause {c['cause']} has no meaning")
protos = collections.Counter(r["proto"] for r in recs)
eq("tcp", s["by_proto"]["tcp"], protos.get("tcp", 0))
eq("udp", s["by_proto"]["udp"], protos.get("udp", 0))

# every number of the text is the JSON's
def line(pat):
    m = re.search(pat, txt, re.M)
    if not m:
        bad.append(f"text: no line matching {pat!r}")
    return m
for k, v in s["by_end_reason"].items():
    if v:
        m = line(rf"^  {re.escape(k)} +(\d+) +([\d.]+)%$")
        if m:
            eq(f"text end {k}", int(m.group(1)), v)
            eq(f"text end {k} pct", m.group(2), "%.1f" % (100.0 * v / len(recs) + 1e-9))
m = line(r"^  resets: (\d+) of (\d+) sessions \(([\d.]+)%\)")
if m:
    eq("text resets", (int(m.group(1)), int(m.group(2)), m.group(3)),
       (s["resets"]["sessions"], s["capture"]["sessions"], "%.1f" % s["resets"]["pct"]))
for a in s["by_app"]:
    m = line(rf"^  {re.escape(a['app'])} +(\d+) +(\d+) +([\d.]+)%$")
    if m:
        eq(f"text app {a['app']}", (int(m.group(1)), int(m.group(2)), m.group(3)),
           (a["sessions"], a["resets"], "%.1f" % a["reset_pct"]))
for c in s["by_rst_cause"]:
    m = line(rf"^  {re.escape(c['cause'])} +(\d+) +(\d+) +(\d+)$")
    if m:
        eq(f"text cause {c['cause']}", tuple(map(int, m.groups())),
           (c["sessions"], c["by_client"], c["by_server"]))
    if c["meaning"] not in txt:
        bad.append(f"text: meaning of {c['cause']} missing")
for a in s["by_policy_action"] + s["by_policy_rule"]:
    k = a.get("action", a.get("rule"))
    m = line(rf"^  {re.escape(k)} +(\d+) +(\d+)$")
    if m:
        eq(f"text policy {k}", tuple(map(int, m.groups())), (a["sessions"], a["resets"]))
for h in s["top_servers"]:
    ep = f"{h['addr']}:{h['port']}" if ":" not in h["addr"] else f"[{h['addr']}]:{h['port']}"
    m = line(rf"^  {re.escape(ep)} +(\d+) +(\d+) +([\d.]+)% +(\d+) +(\d+)$")
    if m:
        eq(f"text server {ep}", (int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5))),
           (h["resets"], h["sessions"], "%.1f" % h["reset_pct"], h["by_client"], h["by_server"]))
for h in s["top_clients"]:
    m = line(rf"^  {re.escape(h['addr'])} +(\d+) +(\d+) +([\d.]+)% +(\d+) +(\d+)$")
    if m:
        eq(f"text client {h['addr']}", (int(m.group(1)), int(m.group(2)), m.group(3)),
           (h["resets"], h["sessions"], "%.1f" % h["reset_pct"]))
tl = s["timeline"]
if tl["total"]:
    if "|" + tl["sparkline"] + "|" not in txt:
        bad.append("text: sparkline differs")
    m = line(r"full block = (\d+) resets; (\d+) in all")
    if m:
        eq("text cell max/total", tuple(map(int, m.groups())), (tl["cell_max"], tl["total"]))
    m = line(r"^  peak: (\d+) resets")
    if m:
        eq("text peak", int(m.group(1)), tl["peak"])
u = s["unsolicited"]
if u["sessions"]:
    m = line(r"^  (\d+) RSTs \((\d+) RST\|ACK\) in (\d+) sessions to (\d+) destination")
    if m:
        eq("text unsolicited", tuple(map(int, m.groups())),
           (u["rsts"], u["rst_acks"], u["sessions"], u["destinations"]))
for f in s["findings"]:
    m = line(rf"^  {f['code']} +{re.escape(f['victim'])}: (\d+) RSTs \((\d+) RST\|ACK\) from ~?(\d+) hosts? \(~?(\d+) sending RST\|ACK\), ([\d.]+)/s$")
    if m:
        eq(f"text finding {f['victim']}", (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), m.group(5)),
           (f["rsts"], f["rst_acks"], f["sources"], f["ack_sources"], "%.1f" % f["rate"]))
for k, v in s["decode"].items():
    if v:
        m = line(rf"^  {k} +(\d+)$")
        if m:
            eq(f"text decode {k}", int(m.group(1)), v)
for n in s["damage"]:
    if n not in txt:
        bad.append(f"text: damage note missing: {n}")

# per-scenario expectations
if name == "mix":
    eq("mix sessions", len(recs), 274)
    eq("mix unsolicited", (u["sessions"], u["rsts"], u["rst_acks"], u["destinations"]), (215, 215, 60, 3))
    got = [(f["code"], f["victim"], f["rsts"], f["rst_acks"], f["sources"], f["ack_sources"]) for f in s["findings"]]
    eq("mix findings", got, [("rst_flood", "192.0.2.10", 150, 0, 3, 0),
                             ("rst_backscatter", "192.0.2.99", 60, 60, 30, 30)])
    eq("mix findings_total", s["findings_total"], 2)
    eq("mix flood rate", s["findings"][0]["rate"], 10.1)
    top = [(h["addr"], h["port"], h["resets"], h["sessions"], h["reset_pct"]) for h in s["top_servers"]]
    eq("mix top servers", top, [("10.0.1.2", 8080, 10, 10, 100.0), ("10.0.1.3", 443, 9, 9, 100.0)])
    eq("mix servers_with_resets", s["servers_with_resets"], 2)
    eq("mix top client", (s["top_clients"][0]["addr"], s["top_clients"][0]["resets"]), ("10.0.0.5", 10))
    eq("mix timeline", (tl["bucket_seconds"], tl["resets"]), (60, [10, 3 + 1, 3 + 1 + 150, 2 + 2 + 60, 1 + 1]))
    eq("mix start", tl["start"], 1704067200.0)
    eq("mix packets", s["capture"]["packets"], 624)
    eq("mix limits", sum(s["limits"].values()), 0)
if name == "mix_policy":
    eq("policy actions", [(a["action"], a["sessions"]) for a in s["by_policy_action"]],
       [("allow", 255), ("reset-client", 10), ("deny", 9)])
    eq("policy rules", [(a["rule"], a["sessions"]) for a in s["by_policy_rule"]],
       [("(no rule)", 155), ("web", 100), ("block-8080", 10), ("deny-web3", 9)])
    eq("policy rules total", s["policy_rules_total"], 4)
    eq("policy-deny", s["by_end_reason"]["policy-deny"], 19)
if name == "mix":
    eq("no policy", (s["by_policy_action"], s["by_policy_rule"], s["policy_rules_total"]), ([], [], 0))
    if "Policy actions" in txt:
        bad.append("text: a policy section without --policy")
if name == "loopback":
    eq("loopback sessions", len(recs), 9)
    eq("loopback findings", s["findings"], [])
if name == "truncated":
    if not s["damage"] or "truncated" not in s["damage"][0]:
        bad.append("truncated: no damage note")
if name == "linktype":
    if not s["decode"]["unknown_linktype"]:
        bad.append("linktype: decode problem not counted")

if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}

check mix "$d/mix.pcap"
check mix_zeek "$d/mix.pcap" --profile=zeek --checksums=verify
check mix_filter "$d/mix.pcap" --filter='not host 192.0.2.10' --max-sessions=50
printf '%s\n' 'reset-client dport=8080 name=block-8080' 'deny dst=10.0.1.3 name=deny-web3' \
    'allow proto=tcp dport=80 name=web' >"$d/rules"
check mix_policy "$d/mix.pcap" --policy="$d/rules"
check loopback "$TOP/examples/loopback-resets.pcap"
python3 "$TOP/tests/tools/mkpcap.py" "$d/truncated.pcap" truncated
python3 "$TOP/tests/tools/mkpcap.py" "$d/linktype.pcap" linktype
check truncated "$d/truncated.pcap"
grep -qi truncated "$d/truncated.err" || fail "truncated: no message on stderr"
check linktype "$d/linktype.pcap"

# the filter left the flood out; the cap forced evictions, which the summary reports
grep -q '"findings_total":1' "$d/mix_filter.json" || fail "filter: findings"
grep -q '"evicted_sessions":0' "$d/mix_filter.json" && fail "max-sessions: no evictions reported"
grep -q 'sessions ended early by --max-sessions' "$d/mix_filter.txt" || fail "max-sessions: text"

# narrow sparkline, short rankings: the same numbers, cut the same way
"$RSTSCOPE" summary --format=json --top=1 --width=2 "$d/mix.pcap" >"$d/small.json" || fail "small: exit"
python3 - "$d/small.json" <<'PY' || fail "small: json"
import json, sys
s = json.load(open(sys.argv[1]))
assert len(s["top_servers"]) == 1 and s["servers_with_resets"] == 2, s["top_servers"]
assert len(s["findings"]) == 1 and s["findings_total"] == 2
assert len(s["by_app"]) == 1 and s["apps_total"] == 4
assert s["apps_rest"]["sessions"] + s["by_app"][0]["sessions"] == s["capture"]["sessions"]
tl = s["timeline"]
assert tl["cell_buckets"] == 3 and tl["cells"] == [10 + 4 + 154, 64 + 2], tl
assert tl["sparkline"] == "\u2588\u2584", tl["sparkline"]
PY
"$RSTSCOPE" summary --top=1 "$d/mix.pcap" | grep -q '(3 more apps: ' || fail "small: more apps line"

# output file, stdin
"$RSTSCOPE" summary --format=json -o "$d/o.json" - <"$d/mix.pcap" || fail "-o: exit"
grep -q '"inputs":\["-"\]' "$d/o.json" || fail "-o: content"

# exit codes and messages
"$RSTSCOPE" summary --format=xml "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad format exit"
"$RSTSCOPE" summary --top=0 "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad top exit"
"$RSTSCOPE" summary --profile=cisco "$d/mix.pcap" >/dev/null 2>"$d/err"; [ $? -eq 1 ] || fail "bad profile exit"
grep -q "unknown --profile 'cisco' (panos, zeek)" "$d/err" || fail "bad profile message"
"$RSTSCOPE" summary --policy="$d/nope" "$d/mix.pcap" >/dev/null 2>"$d/err"; [ $? -eq 2 ] || fail "missing policy exit"
grep -q -- '--policy: ' "$d/err" || fail "missing policy message"
echo 'permit everything' >"$d/badrules"
"$RSTSCOPE" summary --policy="$d/badrules" "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad policy exit"
"$RSTSCOPE" summary --timeouts=tcp=abc "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad timeouts exit"
"$RSTSCOPE" summary --filter='tcp port' "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad filter exit"
"$RSTSCOPE" summary >/dev/null 2>&1; [ $? -eq 1 ] || fail "no file exit"
"$RSTSCOPE" summary "$d/nope.pcap" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file exit"
"$RSTSCOPE" summary -o "$d/no/such/dir/x" "$d/mix.pcap" >/dev/null 2>&1; [ $? -eq 3 ] || fail "bad -o exit"
if [ -w /dev/full ]; then
    "$RSTSCOPE" summary "$d/mix.pcap" >/dev/full 2>/dev/null; [ $? -eq 3 ] || fail "/dev/full exit"
fi
"$RSTSCOPE" summary --help >"$d/help" || fail "help exit"
for w in rst_flood rst_backscatter --format --top --width --profile --timeouts --checksums --progress --policy \
    --filter --max-sessions 'exit status'; do
    grep -q -- "$w" "$d/help" || fail "help lacks $w"
done
"$RSTSCOPE" --help | grep -q '^  summary ' || fail "main usage lacks summary"
echo ok
