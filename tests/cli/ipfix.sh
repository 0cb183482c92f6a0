#!/usr/bin/env bash
# san: once
# IPFIX export (issue #9) into a real collector: nfcapd (Debian's nfdump)
# listens on loopback, `rstscope analyze --ipfix` exports two captures (the
# bundled loopback capture and the summary test's mix: refused ports,
# resets, a RST flood, backscatter), and `nfdump -r` must show every session
# of analyze's jsonl with its addresses, ports, protocol, start and end
# times, and packets and IP bytes each way (nfdump's in/out columns, from
# the RFC 5103 reverse elements). The second export resends the templates
# every 2 messages. Then the errors: a bad target is a usage error (exit
# 1), an export nobody receives is an output error (exit 3) with the
# records still printed.
set -u
d=$(mktemp -d)
nfpid=
cleanup() {
    [ -n "$nfpid" ] && kill "$nfpid" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}

if ! command -v nfcapd >/dev/null || ! command -v nfdump >/dev/null; then
    echo "nfcapd/nfdump not installed (Debian: apt-get install nfdump): IPFIX collector test skipped"
    exit 77
fi

"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"
cp "$TOP/examples/loopback-resets.pcap" "$d/loop.pcap"

# A free UDP port on loopback (the kernel picks it; nfcapd binds it next).
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$d/flows"
nfcapd -b 127.0.0.1 -p "$port" -w "$d/flows" -t 3600 -B 4000000 >"$d/nfcapd.log" 2>&1 &
nfpid=$!
# nfcapd is ready once it has opened its current file.
for _ in $(seq 50); do
    ls "$d/flows"/nfcapd.current.* >/dev/null 2>&1 && break
    kill -0 "$nfpid" 2>/dev/null || { cat "$d/nfcapd.log"; fail "nfcapd did not start"; }
    sleep 0.1
done

"$RSTSCOPE" analyze --format=jsonl --ipfix="127.0.0.1:$port" "$d/loop.pcap" \
    >"$d/loop.jsonl" 2>"$d/loop.err" || { cat "$d/loop.err"; fail "export loop: exit $?"; }
grep -q "IPFIX: 9 records" "$d/loop.err" || { cat "$d/loop.err"; fail "no IPFIX count line"; }
"$RSTSCOPE" analyze --format=jsonl --ipfix="127.0.0.1:$port" --ipfix-refresh=2,60 \
    --ipfix-domain=7 "$d/mix.pcap" >"$d/mix.jsonl" 2>"$d/mix.err" ||
    { cat "$d/mix.err"; fail "export mix: exit $?"; }
sleep 0.5
kill -TERM "$nfpid"
wait "$nfpid" 2>/dev/null
nfpid=

TZ=UTC nfdump -q -N -R "$d/flows" \
    -o "fmt:%ts|%te|%pr|%sa|%sp|%da|%dp|%ipkt|%opkt|%ibyt|%obyt" >"$d/nfdump.txt" 2>"$d/nfdump.err" ||
    { cat "$d/nfdump.err"; fail "nfdump -R: exit $?"; }
# The sequence numbers count data records (RFC 7011 §3.1): nfdump checks them.
nfdump -R "$d/flows" -I >"$d/stat.txt" 2>&1 || fail "nfdump -I"
grep -q "^Sequence failures: 0" "$d/stat.txt" || { cat "$d/stat.txt"; fail "sequence failures"; }
grep -q "^Flows: 283" "$d/stat.txt" || { cat "$d/stat.txt"; fail "flow count"; }

python3 - "$d/nfdump.txt" "$d/loop.jsonl" "$d/mix.jsonl" <<'PY' || fail "nfdump shows different sessions"
import collections, datetime, json, sys
protos = {"tcp": 6, "udp": 17, "icmp": 1}
def ms_text(t):
    # nfdump prints milliseconds, cut (not rounded) from flowStartMilliseconds
    ms = int(round(t * 1e6)) // 1000
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%d %H:%M:%S") + ".%03d" % (ms % 1000)
want = collections.Counter()
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)
        want[(ms_text(r["ts"]), ms_text(r["end_ts"]), protos[r["proto"]], r["client"],
              r["client_port"], r["server"], r["server_port"], r["client_pkts"],
              r["server_pkts"], r["client_ip_bytes"], r["server_ip_bytes"])] += 1
got = collections.Counter()
for line in open(sys.argv[1]):
    f = [x.strip() for x in line.split("|")]
    if len(f) != 11:
        continue
    got[(f[0], f[1], int(f[2]), f[3], int(f[4]), f[5], int(f[6]), int(f[7]), int(f[8]),
         int(f[9]), int(f[10]))] += 1
n = sum(want.values())
print(f"jsonl: {n} sessions; nfdump: {sum(got.values())} flows")
if n != 9 + 274:
    print("unexpected session count", n); sys.exit(1)
missing, extra = want - got, got - want
for k in list(missing)[:10]:
    print("missing in nfdump:", k)
for k in list(extra)[:10]:
    print("only in nfdump:", k)
sys.exit(1 if missing or extra else 0)
PY

# Errors. A bad target: usage, before any output.
"$RSTSCOPE" analyze --format=jsonl --ipfix=nohost "$d/loop.pcap" >"$d/out" 2>"$d/err"
[ $? -eq 1 ] || fail "bad target: want exit 1"
grep -q "bad IPFIX collector 'nohost'" "$d/err" || { cat "$d/err"; fail "bad target message"; }
"$RSTSCOPE" analyze --ipfix-transport=sctp "$d/loop.pcap" >/dev/null 2>"$d/err"
[ $? -eq 1 ] || fail "bad transport: want exit 1"
"$RSTSCOPE" analyze --ipfix=127.0.0.1:1 --ipfix-refresh=0 "$d/loop.pcap" >/dev/null 2>"$d/err"
[ $? -eq 1 ] || fail "bad refresh: want exit 1"
# Nobody listens (the port nfcapd had): every record is still printed, exit 3.
"$RSTSCOPE" analyze --format=jsonl --ipfix="127.0.0.1:$port" "$d/mix.pcap" >"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 3 ] || { cat "$d/err"; fail "no collector: want exit 3, got $rc"; }
grep -q "records not sent.*: Connection refused" "$d/err" || { cat "$d/err"; fail "no collector message"; }
[ "$(wc -l <"$d/out")" -eq 274 ] || fail "no collector: records not all printed"
# TCP to a closed port: an error at once.
"$RSTSCOPE" analyze --ipfix="127.0.0.1:$port" --ipfix-transport=tcp "$d/loop.pcap" >/dev/null 2>"$d/err"
[ $? -eq 3 ] || fail "tcp refused: want exit 3"
grep -q "IPFIX collector 127.0.0.1:$port: Connection refused" "$d/err" || { cat "$d/err"; fail "tcp msg"; }
echo "ok"
