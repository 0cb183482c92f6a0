#!/usr/bin/env python3
"""Writes small pcap files for the CLI tests (damaged ones on purpose).

    mkpcap.py OUT KIND
KIND: good        3 TCP sessions on Ethernet (fin, client rst, refused)
      truncated   'good' cut in the middle of its last record
      bigcaplen   'good' plus a record whose caplen exceeds the snaplen
      linktype    one packet with an unknown link type (147)
      text        not a capture at all
      many        'good' repeated 5000 times (70,000 packets, one tuple set)
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    off_flags = (5 << 12) | flags
    tcp = struct.pack("!HHIIHHHH", sport, dport, seq, ack, off_flags, 65535, 0, 0) + payload
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def sessions():
    t = 1700000000.0
    pk = []

    def add(dt, frame):
        nonlocal t
        t += dt
        pk.append((t, frame))

    c, s = "10.0.0.1", "10.0.0.2"
    # graceful close
    add(0.001, tcp_frame(c, s, 40000, 80, 100, 0, SYN))
    add(0.001, tcp_frame(s, c, 80, 40000, 500, 101, SYN | ACK))
    add(0.001, tcp_frame(c, s, 40000, 80, 101, 501, ACK))
    add(0.001, tcp_frame(c, s, 40000, 80, 101, 501, PSH | ACK, b"GET / HTTP/1.0\r\n\r\n"))
    add(0.001, tcp_frame(s, c, 80, 40000, 501, 119, PSH | ACK, b"HTTP/1.0 200 OK\r\n\r\nhi"))
    add(0.001, tcp_frame(c, s, 40000, 80, 119, 522, FIN | ACK))
    add(0.001, tcp_frame(s, c, 80, 40000, 522, 120, FIN | ACK))
    add(0.001, tcp_frame(c, s, 40000, 80, 120, 523, ACK))
    # client abort
    add(0.001, tcp_frame(c, s, 40001, 80, 1000, 0, SYN))
    add(0.001, tcp_frame(s, c, 80, 40001, 7000, 1001, SYN | ACK))
    add(0.001, tcp_frame(c, s, 40001, 80, 1001, 7001, ACK))
    add(0.001, tcp_frame(c, s, 40001, 80, 1001, 7001, RST | ACK))
    # refused
    add(0.001, tcp_frame(c, s, 40002, 81, 2000, 0, SYN))
    add(0.001, tcp_frame(s, c, 81, 40002, 0, 2001, RST | ACK))
    return pk


def pcap(records, linktype=1, snaplen=65535):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)]
    for ts, data, *rest in records:
        caplen = rest[0] if rest else len(data)
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        out.append(struct.pack("<IIII", sec, usec, caplen, len(data)) + data)
    return b"".join(out)


def main():
    path, kind = sys.argv[1], sys.argv[2]
    if kind == "good":
        data = pcap(sessions())
    elif kind == "truncated":
        data = pcap(sessions())
        data = data[: len(data) - 30]
    elif kind == "bigcaplen":
        recs = sessions()
        recs.append((recs[-1][0] + 1, b"\0" * 64, 10_000_000))
        data = pcap(recs)
    elif kind == "linktype":
        data = pcap(sessions()[:1], linktype=147)
    elif kind == "many":
        base = sessions()
        data = pcap([(t + i * 0.01, f) for i in range(5000) for t, f in base])
    elif kind == "text":
        data = b"hello, this is not a capture\n"
    else:
        sys.exit("unknown kind " + kind)
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
