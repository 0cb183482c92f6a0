#!/usr/bin/env bash
# san: once
# IPFIX over TCP (--ipfix-transport=tcp, RFC 7011 §10.4): a collector in
# python3 on loopback reads the stream, decodes it from the RFC (message
# headers, the template set, variable-length fields, PEN 29305 reverse
# counters and rstscope's PEN 32473 elements) and checks every record
# against analyze's jsonl: the 5-tuple, the counters each way, end_reason,
# app, conn_state, rst_by, rst_cause, inflight bytes; the templates come once.
set -u
d=$(mktemp -d)
pypid=
cleanup() {
    [ -n "$pypid" ] && kill "$pypid" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}

"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"

python3 - "$d" <<'PY' &
import socket, sys
d = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(d + "/port.tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(d + "/port.tmp", d + "/port")
s.settimeout(30)
c, _ = s.accept()
with open(d + "/stream.bin", "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
PY
pypid=$!
for _ in $(seq 100); do [ -f "$d/port" ] && break; sleep 0.05; done
[ -f "$d/port" ] || fail "collector did not start"
port=$(cat "$d/port")

"$RSTSCOPE" analyze --format=jsonl --ipfix="127.0.0.1:$port" --ipfix-transport=tcp \
    --ipfix-domain=4242 "$d/mix.pcap" >"$d/mix.jsonl" 2>"$d/err" || { cat "$d/err"; fail "exit $?"; }
wait "$pypid"
pypid=

python3 - "$d/stream.bin" "$d/mix.jsonl" <<'PY' || fail "decoded stream differs from jsonl"
import json, socket, struct, sys
data = open(sys.argv[1], "rb").read()
recs = [json.loads(l) for l in open(sys.argv[2])]
templates, out, off, msgs, tmsgs, seq = {}, [], 0, 0, 0, 0
while off < len(data):
    ver, mlen, etime, mseq, dom = struct.unpack_from("!HHIII", data, off)
    assert ver == 10 and dom == 4242, (ver, dom)
    assert mseq == seq, ("sequence", mseq, seq)
    end, p = off + mlen, off + 16
    msgs += 1
    while p < end:
        sid, slen = struct.unpack_from("!HH", data, p)
        q, send = p + 4, p + slen
        if sid == 2:
            tmsgs += 1
            while send - q >= 4:
                tid, n = struct.unpack_from("!HH", data, q); q += 4
                fields = []
                for _ in range(n):
                    ie, ln = struct.unpack_from("!HH", data, q); q += 4
                    pen = 0
                    if ie & 0x8000:
                        pen, = struct.unpack_from("!I", data, q); q += 4
                    fields.append((pen, ie & 0x7fff, ln))
                templates[tid] = fields
        else:
            while q < send:
                r = {}
                for pen, ie, ln in templates[sid]:
                    if ln == 0xffff:
                        ln = data[q]; q += 1
                        if ln == 255:
                            ln, = struct.unpack_from("!H", data, q); q += 2
                    r[(pen, ie)] = data[q:q + ln]; q += ln
                out.append(r)
                seq += 1
        p = send
    off = end
assert tmsgs == 1, f"templates sent {tmsgs} times over TCP"
print(f"{msgs} messages, {len(out)} records, {len(recs)} sessions")
assert len(out) == len(recs)
num = lambda b: int.from_bytes(b, "big")
s = lambda r, ie: r[(32473, ie)].decode()
bad = 0
for r, j in zip(out, recs):
    addr = lambda b: socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)
    src = r.get((0, 8)) or r[(0, 27)]
    dst = r.get((0, 12)) or r[(0, 28)]
    got = (addr(src), num(r[(0, 7)]), addr(dst), num(r[(0, 11)]), num(r[(0, 2)]),
           num(r[(29305, 2)]), num(r[(0, 1)]), num(r[(29305, 1)]), s(r, 1), s(r, 2), s(r, 3),
           s(r, 5), s(r, 6), num(r[(32473, 9)]), num(r[(32473, 10)]), s(r, 14),
           num(r[(0, 152)]), num(r[(32473, 11)]), num(r[(32473, 12)]))
    want = (j["client"], j["client_port"], j["server"], j["server_port"], j["client_pkts"],
            j["server_pkts"], j["client_ip_bytes"], j["server_ip_bytes"], j["end_reason"],
            j["app"], j["conn_state"], j["rst_by"], j["rst_cause"], j["inflight_client_bytes"],
            j["inflight_server_bytes"], j["uid"], int(round(j["ts"] * 1e6)) // 1000,
            j["client_bytes"], j["server_bytes"])
    if got != want:
        bad += 1
        if bad < 5:
            print("differs:\n  ipfix", got, "\n  jsonl", want)
sys.exit(1 if bad else 0)
PY
echo "ok"
