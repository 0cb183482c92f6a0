#!/usr/bin/env bash
# san: once
# Core-engine acceptance: real sockets on loopback (client abort with SO_LINGER 0,
# server abort, server closing with unread data, closed port, connect-and-close,
# graceful close, a second connect on the same 4-tuple 0.3 s after a close, a SYN
# left unanswered while other traffic keeps the capture going 6 s, IPv6), recorded
# by `rstscope live -w`, then analysed with the default (PAN-OS) timers: every
# session must get the right end_reason, conn_state and rst_by.
set -u
if [ "$(id -u)" -ne 0 ]; then echo "skipped: needs root to capture on lo"; exit 77; fi
d=$(mktemp -d)
cleanup() { kill "$gen" "$live" 2>/dev/null; wait 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$d/recs" 2>/dev/null | head -40; exit 1; }
# Fixed server and client ports below the kernel's ephemeral range (where
# another connection of the machine can hold any port at any moment: a CI
# run once failed with EADDRINUSE at 47000-48999), 100 apart per run.
low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
span=$(((low - 20000) / 100))
[ "$span" -ge 1 ] || span=1
base=$((20000 + (RANDOM % span) * 100))
"$RSTSCOPE" live -i lo -q --filter="portrange $base-$((base + 99))" -w "$d/cap.pcap" \
    --format=jsonl -o /dev/null 2>"$d/live.err" &
live=$!
sleep 1
if ! kill -0 "$live" 2>/dev/null; then
    echo "skipped: cannot capture on lo: $(head -c 300 "$d/live.err")"; exit 77
fi
python3 "$TOP/tests/tools/loopback_sessions.py" "$base" >"$d/sessions" 2>"$d/gen.err" &
gen=$!
for _ in $(seq 1 60); do grep -q '^done' "$d/sessions" && break; sleep 0.5; done
grep -q '^done' "$d/sessions" || { cat "$d/gen.err"; fail "the socket script did not finish"; }
sleep 0.5
kill -INT "$live"; wait "$live"; rc=$?
[ $rc -eq 0 ] || fail "live exit $rc: $(cat "$d/live.err")"
"$RSTSCOPE" analyze --format=jsonl "$d/cap.pcap" >"$d/recs" 2>"$d/an.err" || fail "analyze: $(cat "$d/an.err")"

python3 - "$d/recs" "$base" <<'PY' || exit 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
base = int(sys.argv[2])
by = {}
for r in recs:
    if r["proto"] == "tcp":
        by.setdefault(r["client_port"], []).append(r)
want = {  # client port: [(end_reason, conn_state, rst_by), ...] in session order
    base + 51: [("tcp-fin", "SF", "")],
    base + 52: [("tcp-fin", "SF", "")],
    base + 53: [("tcp-rst-from-client", "RSTO", "client")],
    base + 54: [("tcp-rst-from-server", "RSTR", "server")],
    base + 55: [("tcp-rst-from-server", "RSTR", "server")],
    base + 56: [("tcp-rst-from-server", "REJ", "server")],
    base + 57: [("tcp-reuse", "SF", ""), ("tcp-fin", "SF", "")],
    base + 58: [("tcp-fin", "SF", "")],
    base + 59: [("aged-out", "S0", "")],
    base + 60: [("open", "S1", "")],
}
bad = 0
for port, exp in want.items():
    got = [(r["end_reason"], r["conn_state"], r["rst_by"]) for r in by.get(port, [])]
    ok = got == exp
    bad += not ok
    print(("ok  " if ok else "BAD ") + f"client port {port}: want {exp} got {got}")
ipv6 = [r for r in by.get(base + 58, []) if ":" in r["client"]]
if not ipv6:
    print("BAD the IPv6 session is not over IPv6"); bad += 1
sys.exit(1 if bad else 0)
PY
