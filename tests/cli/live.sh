#!/usr/bin/env bash
# san: once
# rstscope live (SPEC §1, issue 6): on loopback, a session closed with FINs,
# one reset by the server and a UDP exchange each get their record while the
# capture runs (the UDP one and the closing delays only by the wall-clock
# timers, as no traffic follows them); a connection still open gets its
# record (end_reason open) when SIGINT ends the capture; the summary line on
# stderr has libpcap's drop count. Traffic goes only to a random
# 127.A.B.0/24 pair (A in 30-89, clear of the lab's 127.100-227). Needs root
# or CAP_NET_RAW: skipped otherwise.
set -u
d=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# wait_for FILE PATTERN SECONDS: polls until grep -E finds PATTERN.
wait_for() {
    local i
    for i in $(seq $(($3 * 20))); do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# Usage errors need no privilege.
"$RSTSCOPE" live >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] || fail "no -i: exit $rc, want 1"
grep -q -- '-i IFACE' "$d/err" || fail "no -i: $(cat "$d/err")"
"$RSTSCOPE" live -i lo x.pcap >/dev/null 2>&1; [ $? -eq 1 ] || fail "file argument: want exit 1"
"$RSTSCOPE" live -i lo --format=xml >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad --format: want exit 1"
"$RSTSCOPE" live -i lo --only=some >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad --only: want exit 1"
"$RSTSCOPE" live -i lo --timeouts=tcp=x >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad --timeouts: want exit 1"
"$RSTSCOPE" live --help | grep -q '^usage: rstscope live -i IFACE' || fail "--help"

if [ "$(id -u)" -ne 0 ] && ! capsh --has-p=cap_net_raw 2>/dev/null; then
    echo "skipped: capturing on lo needs root or CAP_NET_RAW"
    exit 77
fi
command -v python3 >/dev/null || { echo "skipped: python3 is needed to make traffic"; exit 77; }

a=$((30 + RANDOM % 60)) b=$((1 + RANDOM % 250))
CLI=127.$a.$b.1 SRV=127.$a.$b.2
TIMEOUTS=tcp-time-wait=1,tcp-half-closed=1,udp=1

"$RSTSCOPE" live -i lo --filter "host $SRV" --format=jsonl --timeouts=$TIMEOUTS \
    -o "$d/recs" -w "$d/live.pcap" 2>"$d/err" &
live=$!
pids+=($live)
if ! wait_for "$d/err" "^rstscope: capturing on lo" 20; then
    if ! kill -0 $live 2>/dev/null; then
        wait $live; rc=$?
        [ $rc -eq 2 ] && { cat "$d/err"; echo "skipped: cannot capture on lo here: $(head -n 1 "$d/err")"; exit 77; }
        fail "live exited $rc at start: $(cat "$d/err")"
    fi
    fail "live did not start: $(cat "$d/err")"
fi

# 1. Reset: serve-rst reads the request and aborts (tcp-rst-from-server).
"$RSTSCOPE" serve-rst --listen "$SRV:0" --mode after-request --count 1 >"$d/srv" 2>&1 &
pids+=($!)
wait_for "$d/srv" '^listening on ' 20 || fail "serve-rst did not start: $(cat "$d/srv")"
rport=$(sed -n 's/^listening on .*:\([0-9]*\), mode .*/\1/p' "$d/srv")
"$RSTSCOPE" send-rst "$SRV" "$rport" --payload 'hello\n' --after-ms 1000 >"$d/cli" 2>&1 ||
    fail "send-rst: $(cat "$d/cli")"
grep -q '^peer-reset' "$d/cli" || fail "send-rst: the server did not reset: $(cat "$d/cli")"

# 2. A FIN-closed session, 3. one kept open by this background process, then
# 4. one UDP exchange; then silence: only the wall clock can end 2 and 4.
cat >"$d/holder.py" <<'EOF'
import os, socket, sys, time
cli, srv, out = sys.argv[1:4]
def listener():
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((srv, 0)); l.listen(4)
    return l
def pair(l):
    c = socket.socket(); c.bind((cli, 0)); c.connect(l.getsockname())
    a, _ = l.accept()
    c.sendall(b"request\n"); a.recv(64); a.sendall(b"response\n"); c.recv(64)
    return c, a
lf, lo = listener(), listener()
c, a = pair(lf)
c.close(); a.recv(64); a.close()              # FIN from the client, then the server
keep = pair(lo)                                # left open
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((srv, 0))
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.bind((cli, 0))
uc.sendto(b"ping", u.getsockname()); data, peer = u.recvfrom(64); u.sendto(b"pong", peer)
uc.recv(64)
with open(out + ".tmp", "w") as f:
    print(lf.getsockname()[1], lo.getsockname()[1], u.getsockname()[1], file=f)
os.rename(out + ".tmp", out)
time.sleep(120)
EOF
python3 -I -S "$d/holder.py" "$CLI" "$SRV" "$d/ports" &
holder=$!
pids+=($holder)
# Generous waits: on a loaded CI machine python alone may take seconds to start.
wait_for "$d/ports" '^[0-9]+ [0-9]+ [0-9]+$' 30 || fail "the traffic script did not finish"
read -r fport oport uport <"$d/ports"

# Records appear while the capture runs, as the sessions end.
for p in "$rport" "$fport" "$uport"; do
    wait_for "$d/recs" "\"server_port\":$p," 20 ||
        fail "no record for the session to port $p while capturing: $(cat "$d/recs" "$d/err")"
done
grep -q "\"server_port\":$oport," "$d/recs" && fail "the open session got a record before the end"
kill -0 $live 2>/dev/null || fail "live exited early: $(cat "$d/err")"

kill -INT $live
for _ in $(seq 400); do kill -0 $live 2>/dev/null || break; sleep 0.05; done
kill -0 $live 2>/dev/null && fail "live did not end on SIGINT"
wait $live; rc=$?
[ $rc -eq 0 ] || fail "live exit $rc after SIGINT: $(cat "$d/err")"
kill $holder 2>/dev/null

python3 - "$d/recs" "$SRV" "$rport" "$fport" "$oport" "$uport" <<'EOF' || { cat "$d/recs"; fail "records"; }
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
srv = sys.argv[2]
rport, fport, oport, uport = map(int, sys.argv[3:7])
want = {
    ("tcp", rport): {"end_reason": "tcp-rst-from-server", "conn_state": "RSTR", "rst_by": "server"},
    ("tcp", fport): {"end_reason": "tcp-fin", "conn_state": "SF", "rst_by": ""},
    ("tcp", oport): {"end_reason": "open", "conn_state": "S1", "rst_by": ""},
    ("udp", uport): {"end_reason": "aged-out", "conn_state": "SF", "app": "unknown-udp"},
}
bad = 0
for r in recs:
    if r["server"] != srv and r["client"] != srv:
        print("a record outside the filter:", r); bad = 1
got = {}
for r in recs:
    got.setdefault((r["proto"], r["server_port"]), []).append(r)
for k, labels in want.items():
    rs = got.get(k, [])
    if len(rs) != 1:
        print(k, ":", len(rs), "records, want 1"); bad = 1; continue
    for f, v in labels.items():
        if rs[0][f] != v:
            print(k, f, ": got", repr(rs[0][f]), "want", repr(v)); bad = 1
extra = set(got) - set(want)
if extra:
    print("unexpected sessions:", sorted(extra)); bad = 1
if len({r["uid"] for r in recs}) != len(recs):
    print("a session has two records"); bad = 1
sys.exit(bad)
EOF

# The summary: as many records as sessions, and libpcap's drop counts.
sum=$(grep '^rstscope: lo: ' "$d/err") || fail "no summary line: $(cat "$d/err")"
echo "$sum" | grep -Eq '^rstscope: lo: [0-9]+ packets, 4 sessions, 4 records in [0-9.]+ s; libpcap: [0-9]+ received, [0-9]+ dropped, [0-9]+ dropped by the interface$' ||
    fail "summary: $sum"
[ "$(grep -c '^rstscope' "$d/err")" -eq 2 ] || fail "stderr has more than the start and summary lines: $(cat "$d/err")"

# -w kept the packets: analyze sees the same sessions. On packet time the UDP
# session's timer has not run out when the capture ends (no packet followed),
# so it is open there: only live's wall clock aged it out.
"$RSTSCOPE" analyze --format=jsonl --timeouts=$TIMEOUTS "$d/live.pcap" >"$d/again" 2>"$d/aerr" ||
    fail "analyze of the -w capture: $(cat "$d/aerr")"
python3 - "$d/recs" "$d/again" "$uport" <<'EOF' || fail "-w capture differs"
import json, sys
live = {(r["proto"], r["client_port"], r["server_port"]): r for r in map(json.loads, open(sys.argv[1]))}
again = {(r["proto"], r["client_port"], r["server_port"]): r for r in map(json.loads, open(sys.argv[2]))}
uport = int(sys.argv[3])
if set(live) != set(again):
    print("sessions differ:", sorted(set(live) ^ set(again))); sys.exit(1)
for k, r in live.items():
    want = "open" if k[0] == "udp" and k[2] == uport else r["end_reason"]
    if again[k]["end_reason"] != want or again[k]["history"] != r["history"]:
        print(k, "live:", r["end_reason"], r["history"], "analyze:", again[k]["end_reason"],
              again[k]["history"]); sys.exit(1)
EOF

# Without CAP_NET_RAW: exit 2 and the fix spelled out, and no output file made.
if command -v capsh >/dev/null 2>&1; then
    capsh --drop=cap_net_raw,cap_net_admin -- -c "\"$RSTSCOPE\" live -i lo -o \"$d/none\"" \
        >/dev/null 2>"$d/perr"
    rc=$?
    [ $rc -eq 2 ] || fail "no CAP_NET_RAW: exit $rc, want 2: $(cat "$d/perr")"
    grep -q 'run as root' "$d/perr" || fail "no CAP_NET_RAW: no advice: $(cat "$d/perr")"
    grep -q 'setcap cap_net_raw,cap_net_admin+eip' "$d/perr" || fail "no setcap hint: $(cat "$d/perr")"
    [ ! -e "$d/none" ] || fail "no CAP_NET_RAW: the output file was created"
fi
exit 0
