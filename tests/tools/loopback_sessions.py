#!/usr/bin/env python3
"""Makes the core-engine acceptance sessions with real kernel sockets on loopback.

    loopback_sessions.py BASEPORT

Every session uses a server port BASEPORT+k and (where it matters) a fixed
client port BASEPORT+50+k, so the test can find it in the capture. Prints one
line per session: "name client_port" (client_port 0 when the kernel chose it).
Exits after the last session; the sockets of the unanswered-SYN scenario stay
open until then (the caller stops the capture before this script exits).
"""
import socket
import struct
import sys
import time

BASE = int(sys.argv[1])
V4 = "127.0.0.1"
LINGER0 = struct.pack("ii", 1, 0)


def listener(port, backlog=8, family=socket.AF_INET, host=V4):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


def client(port, cport=0, family=socket.AF_INET, host=V4):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if cport:
        c.bind((host, cport))
    c.connect((host, port))
    return c


def report(name, sock):
    print(name, sock.getsockname()[1], flush=True)


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            break
        got += b
    return got


def graceful():
    l = listener(BASE + 1)
    c = client(BASE + 1, BASE + 51)
    a, _ = l.accept()
    req, resp = b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.0 200 OK\r\n\r\nhello"
    c.sendall(req)
    recv_exact(a, len(req))
    a.sendall(resp)
    recv_exact(c, len(resp))
    c.shutdown(socket.SHUT_WR)
    a.recv(1)
    a.close()
    c.recv(1)
    c.close()
    l.close()
    print("graceful", BASE + 51, flush=True)


def connect_close():
    l = listener(BASE + 2)
    c = client(BASE + 2, BASE + 52)
    a, _ = l.accept()
    c.close()
    a.recv(1)
    a.close()
    l.close()
    print("connect-close", BASE + 52, flush=True)


def client_abort():
    l = listener(BASE + 3)
    c = client(BASE + 3, BASE + 53)
    a, _ = l.accept()
    req = b"GET /big HTTP/1.0\r\n\r\n"
    c.sendall(req)
    recv_exact(a, len(req))
    a.setblocking(False)
    try:
        for _ in range(20):
            a.send(b"x" * 16384)
    except BlockingIOError:
        pass
    c.recv(1000)  # read part of the response
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    c.close()
    time.sleep(0.05)
    a.close()
    l.close()
    print("client-abort", BASE + 53, flush=True)


def server_abort():
    l = listener(BASE + 4)
    c = client(BASE + 4, BASE + 54)
    a, _ = l.accept()
    req = b"GET / HTTP/1.0\r\n\r\n"
    c.sendall(req)
    recv_exact(a, len(req))
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    a.close()
    time.sleep(0.05)
    c.close()
    l.close()
    print("server-abort", BASE + 54, flush=True)


def server_unread():
    l = listener(BASE + 5)
    c = client(BASE + 5, BASE + 55)
    a, _ = l.accept()
    c.sendall(b"data the server never reads")
    time.sleep(0.05)
    a.close()  # unread data in the receive buffer: the kernel sends RST
    time.sleep(0.05)
    c.close()
    l.close()
    print("server-unread", BASE + 55, flush=True)


def refused():
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((V4, BASE + 56))
    try:
        c.connect((V4, BASE + 6))
    except ConnectionRefusedError:
        pass
    c.close()
    print("refused", BASE + 56, flush=True)


def reuse():
    l = listener(BASE + 7)
    c = client(BASE + 7, BASE + 57)
    a, _ = l.accept()
    c.sendall(b"one")
    recv_exact(a, 3)
    a.close()  # the server closes first: the TIME-WAIT is on the server
    c.recv(1)
    c.close()
    time.sleep(0.3)
    c = client(BASE + 7, BASE + 57)  # same 4-tuple, new ISN
    a, _ = l.accept()
    c.sendall(b"two")
    recv_exact(a, 3)
    a.close()
    c.recv(1)
    c.close()
    l.close()
    print("reuse", BASE + 57, flush=True)


def ipv6():
    l = listener(BASE + 8, family=socket.AF_INET6, host="::1")
    c = client(BASE + 8, BASE + 58, family=socket.AF_INET6, host="::1")
    a, _ = l.accept()
    c.sendall(b"hello over ipv6")
    recv_exact(a, 15)
    a.sendall(b"hi")
    recv_exact(c, 2)
    c.close()
    a.recv(1)
    a.close()
    l.close()
    print("ipv6", BASE + 58, flush=True)


def unanswered_syn():
    # listen(fd, 0): one connection waits in the accept queue, never accepted;
    # Linux then drops the next SYN (accept queue full).
    l = listener(BASE + 9, backlog=0)
    filler = client(BASE + 9, BASE + 60)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((V4, BASE + 59))
    c.setblocking(False)
    try:
        c.connect((V4, BASE + 9))
    except BlockingIOError:
        pass
    time.sleep(0.5)  # before the first retransmission (1 s)
    c.close()  # closing a SYN-SENT socket sends nothing
    print("unanswered-syn", BASE + 59, flush=True)
    # Other traffic keeps the capture going past the 5 s tcp-init timer.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(13):
        u.sendto(b"tick", (V4, BASE + 10))
        time.sleep(0.5)
    return l, filler


def main():
    graceful()
    connect_close()
    client_abort()
    server_abort()
    server_unread()
    refused()
    reuse()
    ipv6()
    keep = unanswered_syn()
    print("done", 0, flush=True)
    time.sleep(30)  # the caller stops the capture, then kills us
    del keep


if __name__ == "__main__":
    main()
