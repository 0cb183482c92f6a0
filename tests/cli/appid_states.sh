#!/usr/bin/env bash
# App-ID states and identification end to end (SPEC §3, issue #4): a capture
# written here, analysed by the CLI, each session's `app` (and sni/http_host)
# checked in JSON lines.
#   handshake, no payload                 -> incomplete
#   SYN answered by RST|ACK               -> incomplete
#   1 payload byte                        -> insufficient-data
#   600 opaque bytes each way (4 packets) -> unknown-tcp
#   opaque UDP                            -> unknown-udp
#   first packet not a SYN, opaque data   -> non-syn-tcp
#   HTTP on a non-HTTP port               -> http, http_host
#   ClientHello over 3 segments, 1 resent -> ssl, sni
#   SMTP with STARTTLS                    -> smtp,ssl
#   DNS on an odd port                    -> dns
set -u
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS_PY=${TOP:-.}/tests/tools/mkpcap.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$TOOLS_PY" "$tmp/appid.pcap" <<'PY'
import importlib.util, struct, sys
spec = importlib.util.spec_from_file_location("mkpcap", sys.argv[1])
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)
SYN, ACK, PSH, FIN, RST = mk.SYN, mk.ACK, mk.PSH, mk.FIN, mk.RST

def udp_frame(src, dst, sport, dport, payload):
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", mk.csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp

def client_hello(sni, pad):
    s = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(s) + 5, len(s) + 3, 0, len(s)) + s
    ext += struct.pack("!HH", 21, pad) + bytes(pad)
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs

t = 1700000000.0
pk = []
def add(frame):
    global t
    t += 0.001
    pk.append((t, frame))

c, s = "10.0.0.1", "10.0.0.2"
class Conv:
    """Both ends of one TCP conversation with correct seq/ack."""
    def __init__(self, cport, sport, handshake=True):
        self.p = (cport, sport)
        self.seq = [1000, 5000]
        if handshake:
            add(mk.tcp_frame(c, s, cport, sport, 999, 0, SYN))
            add(mk.tcp_frame(s, c, sport, cport, 4999, 1000, SYN | ACK))
            add(mk.tcp_frame(c, s, cport, sport, 1000, 5000, ACK))
    def send(self, side, data, resend=False):
        a, b = (c, s) if side == 0 else (s, c)
        pa, pb = self.p if side == 0 else self.p[::-1]
        add(mk.tcp_frame(a, b, pa, pb, self.seq[side], self.seq[1 - side], PSH | ACK, data))
        if not resend:
            self.seq[side] += len(data)
    def close(self):
        add(mk.tcp_frame(c, s, self.p[0], self.p[1], self.seq[0], self.seq[1], FIN | ACK))
        add(mk.tcp_frame(s, c, self.p[1], self.p[0], self.seq[1], self.seq[0] + 1, FIN | ACK))
        add(mk.tcp_frame(c, s, self.p[0], self.p[1], self.seq[0] + 1, self.seq[1] + 1, ACK))

Conv(41000, 9000).close()                                   # incomplete
add(mk.tcp_frame(c, s, 41001, 9001, 2000, 0, SYN))          # refused: incomplete
add(mk.tcp_frame(s, c, 9001, 41001, 0, 2001, RST | ACK))
x = Conv(41002, 9002); x.send(0, b"\x01"); x.close()        # insufficient-data
x = Conv(41003, 9003)                                       # unknown-tcp
opaque = bytes((i * 151 + 7) & 0xFF for i in range(300))
for _ in range(2):
    x.send(0, opaque); x.send(1, opaque[::-1])
x.close()
for i in range(3):                                          # unknown-udp
    add(udp_frame(c, s, 41004, 9004, opaque[i * 50:i * 50 + 120]))
x = Conv(41005, 9005, handshake=False)                      # non-syn-tcp
x.send(0, opaque); x.send(1, opaque)
x = Conv(41006, 9006)                                       # http on an odd port
x.send(0, b"POST /api HTTP/1.1\r\nHost: api.example.net\r\nContent-Length: 0\r\n\r\n")
x.send(1, b"HTTP/1.1 204 No Content\r\n\r\n"); x.close()
x = Conv(41007, 8443)                                       # split ClientHello
hello = client_hello("split.example.com", 1400)
x.send(0, hello[:3]); x.send(0, hello[3:900])
x.seq[0] -= 897; x.send(0, hello[3:900])                    # a retransmission
x.send(0, hello[900:]); x.close()
x = Conv(41008, 2525)                                       # smtp,ssl
for side, msg in [(1, b"220 mx.example ESMTP\r\n"), (0, b"EHLO me\r\n"),
                  (1, b"250-mx\r\n250 STARTTLS\r\n"), (0, b"STARTTLS\r\n"),
                  (1, b"220 go ahead\r\n"), (0, client_hello("mx.example", 0))]:
    x.send(side, msg)
x.close()
q = bytes.fromhex("1a2b0100000100000000000003777777076578616d706c6503636f6d0000010001")
add(udp_frame(c, s, 41009, 5454, q))                        # dns, odd port
with open(sys.argv[2], "wb") as f:
    f.write(mk.pcap(pk))
PY
[ -s "$tmp/appid.pcap" ] || { echo "could not write the capture"; exit 1; }

"$RSTSCOPE" analyze --format=jsonl -q "$tmp/appid.pcap" >"$tmp/out.jsonl" || exit 1
python3 - "$tmp/out.jsonl" <<'PY'
import json, sys
want = {
    9000: ("incomplete", "", ""), 9001: ("incomplete", "", ""),
    9002: ("insufficient-data", "", ""), 9003: ("unknown-tcp", "", ""),
    9004: ("unknown-udp", "", ""), 9005: ("non-syn-tcp", "", ""),
    9006: ("http", "", "api.example.net"), 8443: ("ssl", "split.example.com", ""),
    2525: ("smtp,ssl", "mx.example", ""), 5454: ("dns", "", ""),
}
seen, bad = set(), 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    port = r["server_port"]
    if port not in want:
        print("unexpected session", r["client_port"], port, r["app"]); bad += 1; continue
    seen.add(port)
    got = (r["app"], r["sni"], r["http_host"])
    if got != want[port]:
        print(f"port {port}: want {want[port]}, got {got}"); bad += 1
    else:
        print(f"ok   port {port}: {got}")
for p in sorted(set(want) - seen):
    print(f"port {p}: no record"); bad += 1
sys.exit(1 if bad else 0)
PY
