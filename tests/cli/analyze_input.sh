#!/usr/bin/env bash
# analyze on good and damaged captures: records, messages and exit codes (SPEC §1).
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
mk() { python3 "$TOP/tests/tools/mkpcap.py" "$d/$1.pcap" "$1"; }
fail() { echo "FAIL: $*"; exit 1; }
for k in good truncated bigcaplen linktype text; do mk $k; done

# a good capture: three sessions, the right endings
"$RSTSCOPE" analyze --format=jsonl "$d/good.pcap" >"$d/out" 2>"$d/err" || fail "good: exit $?"
[ "$(wc -l <"$d/out")" -eq 3 ] || fail "good: expected 3 records, got $(wc -l <"$d/out")"
grep -q '"client_port":40000.*"end_reason":"tcp-fin".*"conn_state":"SF"' "$d/out" || fail "fin session"
grep -q '"client_port":40001.*"end_reason":"tcp-rst-from-client".*"conn_state":"RSTO".*"rst_by":"client"' "$d/out" || fail "client rst"
grep -q '"client_port":40002.*"end_reason":"tcp-rst-from-server".*"app":"incomplete".*"conn_state":"REJ".*"rst_by":"server"' "$d/out" || fail "refused"

# truncated: exit 0, every complete record analysed, one clear message
"$RSTSCOPE" analyze --format=jsonl "$d/truncated.pcap" >"$d/out" 2>"$d/err"; rc=$?
[ $rc -eq 0 ] || fail "truncated: exit $rc"
[ "$(wc -l <"$d/out")" -eq 3 ] || fail "truncated: records lost"
grep -qi 'truncated' "$d/err" || fail "truncated: no message: $(cat "$d/err")"

# caplen larger than the snaplen: exit 0, records kept, message
"$RSTSCOPE" analyze --format=jsonl "$d/bigcaplen.pcap" >"$d/out" 2>"$d/err"; rc=$?
[ $rc -eq 0 ] || fail "bigcaplen: exit $rc"
[ "$(wc -l <"$d/out")" -eq 3 ] || fail "bigcaplen: records lost"
[ -s "$d/err" ] || fail "bigcaplen: no message"

# unknown link type: exit 0, nothing analysed, the reason counted on stderr
"$RSTSCOPE" analyze --format=jsonl "$d/linktype.pcap" >"$d/out" 2>"$d/err"; rc=$?
[ $rc -eq 0 ] || fail "linktype: exit $rc"
grep -q 'unknown_linktype' "$d/err" || fail "linktype: no reason: $(cat "$d/err")"

# not a capture: exit 2 with a one-line message naming the file
"$RSTSCOPE" analyze "$d/text.pcap" >"$d/out" 2>"$d/err"; rc=$?
[ $rc -eq 2 ] || fail "text: exit $rc, want 2"
[ "$(wc -l <"$d/err")" -eq 1 ] || fail "text: message not one line: $(cat "$d/err")"
grep -q 'text.pcap' "$d/err" || fail "text: message does not name the file"

# missing file: exit 2; bad option: exit 1; bad BPF: exit 1
"$RSTSCOPE" analyze "$d/nope.pcap" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing file exit"
"$RSTSCOPE" analyze --format=xml "$d/good.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad format exit"
"$RSTSCOPE" analyze --filter='tcp port' "$d/good.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad filter exit"
"$RSTSCOPE" analyze --timeouts=tcp=abc "$d/good.pcap" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad timeouts exit"

# stdin and a filter
"$RSTSCOPE" analyze --format=jsonl --filter='port 40001' - <"$d/good.pcap" >"$d/out" 2>"$d/err" || fail "stdin"
[ "$(wc -l <"$d/out")" -eq 1 ] || fail "filter: expected 1 record"

# compressed captures: gzip (two members) and a cut copy; several merged in time order
python3 - "$d" <<'PY'
import gzip, sys
d = sys.argv[1]
good = open(d + "/good.pcap", "rb").read()
open(d + "/good.pcap.gz", "wb").write(gzip.compress(good[:100]) + gzip.compress(good[100:]))
open(d + "/cut.pcap.gz", "wb").write(gzip.compress(good)[:-20])
PY
"$RSTSCOPE" analyze --format=jsonl --seed=5 "$d/good.pcap" >"$d/plain" || fail "plain"
"$RSTSCOPE" analyze --format=jsonl --seed=5 "$d/good.pcap.gz" >"$d/out" 2>"$d/err" || fail "gzip: exit $?"
cmp -s "$d/plain" "$d/out" || fail "gzip: other records than the plain file"
[ -s "$d/err" ] && fail "gzip: unexpected messages: $(cat "$d/err")"
"$RSTSCOPE" analyze --format=jsonl --seed=5 - <"$d/good.pcap.gz" >"$d/out" || fail "gzip on stdin"
cmp -s "$d/plain" "$d/out" || fail "gzip on stdin: other records"
"$RSTSCOPE" analyze --format=jsonl "$d/cut.pcap.gz" >"$d/out" 2>"$d/err"; rc=$?
[ $rc -eq 0 ] || fail "cut gzip: exit $rc"
grep -q 'cut.pcap.gz: .*gzip: the compressed data ends early' "$d/err" || fail "cut gzip: no message: $(cat "$d/err")"
mk many
"$RSTSCOPE" analyze --format=jsonl --seed=5 "$d/good.pcap" "$d/many.pcap" >"$d/plain" || fail "merge"
"$RSTSCOPE" analyze --format=jsonl --seed=5 "$d/good.pcap.gz" "$d/many.pcap" >"$d/out" 2>"$d/err" || fail "merge gzip"
cmp -s "$d/plain" "$d/out" || fail "merge of a compressed and a plain file: other records"

# output error: exit 3
if [ -w /dev/full ]; then
    "$RSTSCOPE" analyze --format=jsonl "$d/good.pcap" >/dev/full 2>/dev/null; rc=$?
    [ $rc -eq 3 ] || fail "write to /dev/full: exit $rc, want 3"
fi

# --only=resets keeps the two reset sessions
"$RSTSCOPE" analyze --format=csv --only=resets "$d/good.pcap" >"$d/out" || fail "only"
[ "$(wc -l <"$d/out")" -eq 3 ] || fail "--only=resets: want header + 2 rows"
# --progress draws a bar on stderr; -q silences it
mk many
"$RSTSCOPE" analyze --format=jsonl --progress "$d/many.pcap" >/dev/null 2>"$d/err" || fail "progress: exit"
grep -q '%' "$d/err" || fail "--progress drew nothing"
"$RSTSCOPE" analyze --format=jsonl --progress -q "$d/many.pcap" >/dev/null 2>"$d/err" || fail "quiet: exit"
[ ! -s "$d/err" ] || fail "-q still wrote to stderr: $(head -c 200 "$d/err")"

# --max-sessions: the oldest session is ended early, still gets its record, and is counted
"$RSTSCOPE" analyze --format=jsonl --max-sessions=1 "$d/good.pcap" >"$d/out" 2>"$d/err" || fail "max-sessions: exit"
[ "$(wc -l <"$d/out")" -ge 3 ] || fail "max-sessions: records lost"
grep -q 'ended early by --max-sessions' "$d/err" || fail "max-sessions: eviction not reported"

# --seed: the same seed, the same uids (and everything else) in two runs; the
# default (a random seed) and another seed, other uids; bad values refused.
ex="$TOP/examples/loopback-resets.pcap"
for run in 1 2; do
    "$RSTSCOPE" analyze --format=zeek --seed=0x2a "$ex" 2>/dev/null | grep -v '^#open\|^#close' >"$d/seed$run" ||
        fail "seed: exit"
done
[ -s "$d/seed1" ] && cmp -s "$d/seed1" "$d/seed2" || fail "--seed=0x2a: two runs differ"
"$RSTSCOPE" analyze --format=zeek --seed=42 "$ex" 2>/dev/null | grep -v '^#open\|^#close' >"$d/seed3"
cmp -s "$d/seed1" "$d/seed3" || fail "--seed=42 and --seed=0x2a differ"
"$RSTSCOPE" analyze --format=zeek --seed=43 "$ex" 2>/dev/null | grep -v '^#open\|^#close' >"$d/seed4"
"$RSTSCOPE" analyze --format=zeek "$ex" 2>/dev/null | grep -v '^#open\|^#close' >"$d/seed5"
for other in seed4 seed5; do
    [ "$(cut -f2 "$d/seed1" | grep -c '^C')" -gt 5 ] || fail "seed: no uids"
    [ -z "$(comm -12 <(cut -f2 "$d/seed1" | grep '^C' | sort) <(cut -f2 "$d/$other" | grep '^C' | sort))" ] ||
        fail "$other shares uids with --seed=42"
    [ "$(cut -f1,3- "$d/seed1")" = "$(cut -f1,3- "$d/$other")" ] || fail "$other: more than the uids changed"
done
for bad in 0 -1 abc 18446744073709551616 ''; do
    "$RSTSCOPE" analyze --seed="$bad" "$ex" >/dev/null 2>"$d/err" && fail "--seed='$bad' accepted"
    grep -q -- '--seed wants a number' "$d/err" || fail "--seed='$bad': $(cat "$d/err")"
done

# --checksums=verify on loopback traffic (the kernel leaves TCP checksums to the
# NIC, so they are wrong in the capture): the panos profile drops those packets
# before they touch a session; the zeek profile does what Zeek does (the session
# exists, its history shows 'C').
"$RSTSCOPE" analyze --format=jsonl --checksums=verify "$ex" >"$d/out" 2>"$d/err" || fail "verify: exit"
grep -q 'bad_l4_checksum' "$d/err" || fail "verify: no count of bad checksums"
if grep -q '"history":"[^"]*C' "$d/out"; then fail "panos verify: a dropped packet reached a session"; fi
"$RSTSCOPE" analyze --format=jsonl --profile=zeek --checksums=verify "$ex" >"$d/out" 2>/dev/null || fail "zeek verify: exit"
grep -q '"history":"C' "$d/out" || fail "zeek verify: no 'C' history"
echo ok
