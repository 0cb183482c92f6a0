#!/usr/bin/env bash
# --policy (issue 10): the bundled loopback capture with a rule set that
# denies one port, resets others (reset-client, reset-server, reset-both)
# and allows the rest. The denied sessions get policy-deny and
# not-applicable, the emulated resets the labels the rules say (reset-client:
# RST in the server's name -> rst_by server, policy_reject), and every other
# session and every count stays what it is without a policy. The panos lines
# carry subtype, rule and action as PAN-OS logs them; explain reads them back
# (with the same policy they agree; without it the denials are explained).
# Bad rule files: a line-numbered message, exit 1, nothing on stdout.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOP=${TOP:-.}
pcap="$TOP/examples/loopback-resets.pcap"
[ -f "$pcap" ] || fail "no $pcap"

cat >"$d/rules.txt" <<'RULES'
# deny one port, reset others, allow the rest
non-syn-tcp allow
deny         dport=22002                 name=deny-22002
reset-client proto=tcp dport=22001       name=rst-client-22001
reset-server dport=22003-22004,22005     name=rst-server
reset-both   dst=::1/128                 name=rst-both-v6
allow                                    name=allow-rest
RULES

"$RSTSCOPE" analyze --format=csv -q "$pcap" >"$d/plain.csv" || fail "analyze without policy"
"$RSTSCOPE" analyze --format=csv -q --policy="$d/rules.txt" "$pcap" >"$d/pol.csv" ||
    fail "analyze --policy exit $?"
"$RSTSCOPE" analyze --format=csv -q --threads=2 --policy="$d/rules.txt" "$pcap" >"$d/pol2.csv" ||
    fail "analyze --policy --threads=2 exit $?"
"$RSTSCOPE" analyze --format=panos -q --policy="$d/rules.txt" "$pcap" >"$d/pol.log" ||
    fail "analyze --format=panos --policy exit $?"

python3 - "$d/plain.csv" "$d/pol.csv" "$d/pol2.csv" "$d/pol.log" <<'PY' || fail "labels"
import csv, sys
plain = {r["server_port"]: r for r in csv.DictReader(open(sys.argv[1]))}
pol = {r["server_port"]: r for r in csv.DictReader(open(sys.argv[2]))}
pol2 = {r["server_port"]: r for r in csv.DictReader(open(sys.argv[3]))}
log = {l[25]: l for l in csv.reader(open(sys.argv[4]))}
bad = []
def eq(what, a, b):
    if a != b:
        bad.append(f"{what}: {a!r} != {b!r}")
# server port -> (end_reason, app, rst_by, rst_cause, subtype, action, rule)
want = {
    "22001": ("policy-deny", "not-applicable", "server", "policy_reject", "drop", "reset-client", "rst-client-22001"),
    "22002": ("policy-deny", "not-applicable", "", "", "drop", "deny", "deny-22002"),
    "22003": ("policy-deny", "not-applicable", "client", "policy_reject", "drop", "reset-server", "rst-server"),
    "22004": ("policy-deny", "not-applicable", "client", "policy_reject", "drop", "reset-server", "rst-server"),
    "22018": ("policy-deny", "not-applicable", "both", "policy_reject", "drop", "reset-both", "rst-both-v6"),
}
eq("sessions", sorted(plain), sorted(pol))
for port, p in plain.items():
    r = pol[port]
    l = log[port]
    eq(f"{port} fields", len(l), 75)
    eq(f"{port} action/rule without a policy", (p["action"], p["rule"]), ("", ""))
    if port in want:
        w = want[port]
        eq(f"{port} csv action/rule", (r["action"], r["rule"]), (w[5], w[6]))
        eq(f"{port} labels", (r["end_reason"], r["app"], r["rst_by"], r["rst_cause"]), w[:4])
        eq(f"{port} confidence", r["rst_confidence"], "high" if w[3] else "")
        eq(f"{port} log", (l[4], l[30], l[11], l[14], l[46], l[22]), (w[4], w[5], w[6], w[1], w[0], "0"))
        if "Policy emulation: rule '" + w[6] + "'" not in r["explanation"]:
            bad.append(f"{port} explanation: {r['explanation']!r}")
        if p["end_reason"] not in r["explanation"]:
            bad.append(f"{port}: the capture's own end reason is not in the explanation")
        keep = ("client_pkts", "server_pkts", "client_bytes", "server_bytes", "conn_state", "history")
    else:
        eq(f"{port} log", (l[4], l[30], l[11], l[46]), ("end", "allow", "allow-rest", l[46]))
        eq(f"{port} csv action/rule", (r["action"], r["rule"]), ("allow", "allow-rest"))
        keep = tuple(k for k in p if k not in ("uid", "action", "rule"))
    for k in keep:
        eq(f"{port} {k}", r[k], p[k])
    for k in r:
        if k != "uid":
            eq(f"{port} {k} with threads", pol2[port][k], r[k])
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"{len(want)} sessions decided by rules, {len(plain) - len(want)} allowed unchanged")
PY

# explain with the same policy: every line pairs and agrees.
"$RSTSCOPE" explain --log="$d/pol.log" --policy="$d/rules.txt" --format=jsonl -q "$pcap" \
    >"$d/ex.jsonl" || fail "explain --policy exit $?"
python3 - "$d/ex.jsonl" <<'PY' || fail "explain with the policy"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
bad = [r for r in rows if r["kind"] != "matched" or not r["agree"]]
for r in bad:
    print(r["line"], r["kind"], r["diagnosis"])
sys.exit(1 if bad or len(rows) != 9 else 0)
PY
# ... and without it the denials disagree, each with the rule named.
"$RSTSCOPE" explain --log="$d/pol.log" --format=jsonl -q "$pcap" >"$d/ex2.jsonl" ||
    fail "explain exit $?"
python3 - "$d/ex2.jsonl" <<'PY' || fail "explain without the policy"
import json, sys
rows = {r["dport"]: r for r in map(json.loads, open(sys.argv[1]))}
bad = []
for port in (22001, 22002, 22003, 22004, 22018):
    r = rows[port]
    if r["agree"] or r["agree_end_reason"] != "no" or r["log_rule"] not in r["diagnosis"]:
        bad.append(f"{port}: {r['diagnosis']}")
for port in (22000, 22006, 22009, 22199):
    if not rows[port]["agree"]:
        bad.append(f"{port} should agree: {rows[port]['diagnosis']}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

# Bad rule files: line-numbered errors, exit 1, no output.
bad_rule() {
    local text=$1 want=$2
    printf '%b' "$text" >"$d/bad.txt"
    "$RSTSCOPE" analyze --format=csv --policy="$d/bad.txt" "$pcap" >"$d/out" 2>"$d/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "bad rule file '$text': exit $rc, want 1"
    [ ! -s "$d/out" ] || fail "bad rule file '$text': wrote output"
    grep -qF "$d/bad.txt:$want" "$d/err" || { cat "$d/err"; fail "bad rule file '$text': message"; }
}
bad_rule 'deny dport=22\nallow dport=99999\n' "2: dport: '99999' is not a port"
bad_rule '# c\n\npermit any\n' "3: unknown action 'permit'"
bad_rule 'deny src=10.0.0.0/40\n' "1: src: prefix length /40 is longer than 32"
bad_rule 'deny name=x\nreset-both name=x\n' "2: rule name 'x' is already used on line 1"
bad_rule 'non-syn-tcp sometimes\n' "1: non-syn-tcp: 'sometimes' is neither reject nor allow"
"$RSTSCOPE" explain --log="$d/pol.log" --policy="$d/bad.txt" "$pcap" >/dev/null 2>"$d/err"
[ $? -eq 1 ] || fail "explain with a bad policy: want exit 1"
"$RSTSCOPE" analyze --policy="$d/missing.txt" "$pcap" >/dev/null 2>"$d/err"
[ $? -eq 2 ] || fail "missing policy file: want exit 2"
grep -q "missing.txt" "$d/err" || fail "missing policy file: message"

"$RSTSCOPE" analyze --help | grep -q -- "--policy=FILE" || fail "analyze --help lacks --policy"
"$RSTSCOPE" analyze --help | grep -q "panos" || fail "analyze --help lacks panos"
"$RSTSCOPE" explain --help | grep -q -- "--log=FILE" || fail "explain --help"
echo "policy ok"
