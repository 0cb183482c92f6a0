#!/usr/bin/env bash
# san: once
# send-rst and serve-rst against each other on loopback (no capture needed):
# what each reports, and the documented exit codes (refused: 2, usage: 1).
set -u
d=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Starts serve-rst in the background on a free port (port 0); waits for its
# "listening on ADDR:PORT" line and sets $port from it.
serve() {
    "$RSTSCOPE" serve-rst "$@" >"$d/srv" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\), mode .*/\1/p' "$d/srv")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    cat "$d/srv"; fail "serve-rst did not start"
}
finish() { # waits for the last server; it must exit 0 by itself (--count)
    local pid=${pids[-1]} rc
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "serve-rst --count 1 did not exit: $(cat "$d/srv")"
    wait "$pid"; rc=$?
    [ $rc -eq 0 ] || fail "serve-rst exit $rc: $(cat "$d/srv")"
}

# after-request: the server reads the request and resets.
serve --listen 127.0.0.1:0 --mode after-request --count 1
"$RSTSCOPE" send-rst 127.0.0.1 "$port" --payload 'hello\n' --after-ms 1000 >"$d/cli" 2>&1; rc=$?
[ $rc -eq 0 ] || fail "send-rst: exit $rc: $(cat "$d/cli")"
finish
grep -q "^listening on 127.0.0.1:$port, mode after-request" "$d/srv" || fail "srv: $(cat "$d/srv")"
grep -q "^connected to 127.0.0.1:$port from 127.0.0.1:[0-9]* in [0-9.]* ms" "$d/cli" || fail "cli: $(cat "$d/cli")"
grep -q '^sent 6 of 6 bytes' "$d/cli" || fail "cli bytes: $(cat "$d/cli")"
grep -q '^peer-reset: the server reset the connection' "$d/cli" || fail "cli peer reset: $(cat "$d/cli")"
grep -q "^#1 127.0.0.1:[0-9]* -> 127.0.0.1:$port: read 6 bytes, wrote 0 bytes; reset after reading the request" "$d/srv" ||
    fail "srv log: $(cat "$d/srv")"

# unread: the request stays unread; close() makes the kernel reset.
serve --listen 127.0.0.1:0 --mode unread --count 1
"$RSTSCOPE" send-rst 127.0.0.1 "$port" --payload 'abc' --after-ms 1000 >"$d/cli" 2>&1 || fail "send-rst unread: $(cat "$d/cli")"
finish
grep -q '^peer-reset' "$d/cli" || fail "unread cli: $(cat "$d/cli")"
grep -q 'read 0 bytes, wrote 0 bytes, 3 bytes left unread; close() with the request unread: the kernel sent a RST' "$d/srv" ||
    fail "unread srv: $(cat "$d/srv")"

# The client resets first: the server waits for a request that never comes (IPv6).
serve --listen '[::1]:0' --mode unread --count 1 --wait-ms 3000
"$RSTSCOPE" send-rst -6 ::1 "$port" --after-ms 50 >"$d/cli" 2>&1 || fail "send-rst -6: $(cat "$d/cli")"
finish
grep -q "^connected to \[::1\]:$port from \[::1\]:" "$d/cli" || fail "v6 cli: $(cat "$d/cli")"
grep -q '^reset-sent: closed with SO_LINGER {1,0}' "$d/cli" || fail "v6 reset: $(cat "$d/cli")"
grep -q 'the client reset the connection first' "$d/srv" || fail "v6 srv: $(cat "$d/srv")"

# partial-response: the client receives part of the body before the reset.
serve --listen 0 --mode partial-response --count 1
"$RSTSCOPE" send-rst 127.0.0.1 "$port" --payload 'GET / HTTP/1.1\r\nHost: lab\r\n\r\n' --after-ms 1000 >"$d/cli" 2>&1 ||
    fail "send-rst partial: $(cat "$d/cli")"
finish
grep -q '^received [1-9][0-9]* bytes' "$d/cli" || fail "partial cli: $(cat "$d/cli")"
grep -q 'read 29 bytes, wrote [1-9][0-9]* bytes; reset in the middle of the response' "$d/srv" ||
    fail "partial srv: $(cat "$d/srv")"

# A closed port (the last server's, now that it exited): 'refused', exit 2; IPv6 too.
"$RSTSCOPE" send-rst 127.0.0.1 "$port" >"$d/cli" 2>"$d/err"; rc=$?
[ $rc -eq 2 ] || fail "closed port: exit $rc, want 2"
grep -q "refused: 127.0.0.1:$port: the SYN was answered by a RST" "$d/err" || fail "closed port: $(cat "$d/err")"
"$RSTSCOPE" send-rst -6 ::1 "$port" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 2 ] || fail "closed v6 port: exit $rc, want 2"
grep -q 'refused' "$d/err" || fail "closed v6 port: $(cat "$d/err")"

# Usage errors: exit 1. A port in use: exit 2.
"$RSTSCOPE" send-rst 127.0.0.1 >/dev/null 2>&1; [ $? -eq 1 ] || fail "send-rst without PORT: want 1"
"$RSTSCOPE" send-rst --after-ms=-5 127.0.0.1 80 >/dev/null 2>&1; [ $? -eq 1 ] || fail "negative --after-ms: want 1"
"$RSTSCOPE" serve-rst --mode gentle >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad --mode: want 1"
"$RSTSCOPE" serve-rst --listen ::1:80 >/dev/null 2>&1; [ $? -eq 1 ] || fail "unbracketed v6: want 1"
serve --listen 127.0.0.1:0 --mode immediate --count 1
"$RSTSCOPE" serve-rst --listen "127.0.0.1:$port" --count 1 >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 2 ] || fail "port in use: exit $rc, want 2"
grep -q 'in use' "$d/err" || fail "port in use: $(cat "$d/err")"
"$RSTSCOPE" send-rst 127.0.0.1 "$port" --after-ms 300 >"$d/cli" 2>&1 || fail "immediate: $(cat "$d/cli")"
finish
grep -q '^peer-reset' "$d/cli" || fail "immediate cli: $(cat "$d/cli")"
grep -q 'reset at once (SO_LINGER 0), right after the handshake' "$d/srv" || fail "immediate srv: $(cat "$d/srv")"
exit 0
