#!/usr/bin/env python3
"""Writes a capture whose packets carry text meant to break an HTML page:

    report_hostile.py OUT.pcap

1. an HTTP request whose Host header holds </script>, a script element, an
   <img onerror> and an HTML entity; the server resets without answering;
2. a session whose server RST carries text (RFC 9293 3.5.3 allows it) with
   </script>, markup and the UTF-8 bytes of U+2029 and U+2028.
tests/cli/report.sh and report_browser.sh check that the report shows them
as text and runs none of it.
"""
import struct
import sys


def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF
def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    s = bytes(int(x) for x in src.split(".")); d = bytes(int(x) for x in dst.split("."))
    tcp = struct.pack("!HHIIHHHH", sport, dport, seq, ack, (5 << 12) | flags, 65535, 0, 0) + payload
    c = csum(s + d + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp
F, S, R, P, A = 1, 2, 4, 8, 16
evil = "x</script><script>alert(1)</script>\u2028<img src=x onerror=alert(2)>&amp;\"'".encode()
pk, t = [], 1700000000.0
def add(f):
    global t
    t += 0.001; pk.append((t, f))
c, s = "10.9.0.1", "10.9.0.2"
# 1: HTTP request with a hostile Host; the server resets without answering
add(frame(c, s, 41000, 80, 100, 0, S)); add(frame(s, c, 80, 41000, 500, 101, S | A)); add(frame(c, s, 41000, 80, 101, 501, A))
req = b"GET / HTTP/1.1\r\nHost: " + evil + b"\r\n\r\n"
add(frame(c, s, 41000, 80, 101, 501, P | A, req)); add(frame(s, c, 80, 41000, 501, 101 + len(req), A))
add(frame(s, c, 80, 41000, 501, 101 + len(req), R | A))
# 2: a RST that carries diagnostic text (RFC 9293 3.5.3)
add(frame(c, s, 41001, 81, 100, 0, S)); add(frame(s, c, 81, 41001, 500, 101, S | A)); add(frame(c, s, 41001, 81, 101, 501, A))
add(frame(c, s, 41001, 81, 101, 501, P | A, b"hi")); add(frame(s, c, 81, 41001, 501, 103, P | A, b"ok"))
add(frame(s, c, 81, 41001, 503, 103, R | A, b"</script><b>bye</b>\xe2\x80\xa9" + "\u2028".encode()))
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
for ts, f in pk:
    out.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)), len(f), len(f)) + f)
