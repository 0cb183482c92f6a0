#!/usr/bin/env bash
# Damaged captures (SPEC §1, §8): truncated at every byte, caplen over snaplen,
# caplen over len, huge caplen, zero-length records, unknown link types,
# pcapng with bad block lengths, random bytes. Each must give a clear message,
# analyse every readable packet, exit as SPEC §1 says (2 only when nothing is a
# capture; damage after the file header is exit 0 with a message) and never
# crash or hang (every run is under `timeout`).
# The cases and what each must give come from tests/tools/gen_damaged.c.
set -u
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$TOOLS/gen_damaged" "$d" || fail "gen_damaged"

# Packets that reached the analysis: the sum of every record's packet counts.
pkts() { grep -o '"\(client\|server\)_pkts":[0-9]*' "$1" | awk -F: '{s += $2} END {print s + 0}'; }

# run FILE: analyse with a time limit; sets rc, output in $d/out, $d/err.
run() {
    timeout 20 "$RSTSCOPE" analyze --format=jsonl "$1" >"$d/out" 2>"$d/err"
    rc=$?
    [ $rc -eq 124 ] && fail "$(basename "$1"): hung (killed after 20 s)"
    [ $rc -ge 128 ] && fail "$(basename "$1"): crashed (exit $rc): $(head -c 600 "$d/err")"
    # Every message line is ours and says something.
    if [ -s "$d/err" ] && grep -qv '^rstscope: .' "$d/err"; then
        fail "$(basename "$1"): stray stderr: $(head -c 600 "$d/err")"
    fi
    return 0
}

n=0
while IFS=$'\t' read -r name want_rc want_pkts pattern; do
    f="$d/$name"
    run "$f"
    [ "$rc" -eq "$want_rc" ] || fail "$name: exit $rc, want $want_rc: $(cat "$d/err")"
    if [ "$pattern" = "-" ]; then
        [ -s "$d/err" ] && fail "$name: unexpected message: $(cat "$d/err")"
    else
        grep -Eq -- "$pattern" "$d/err" || fail "$name: message does not match /$pattern/: $(cat "$d/err")"
    fi
    if [ "$want_rc" -eq 2 ]; then
        [ "$(wc -l <"$d/err")" -eq 1 ] || fail "$name: want one line: $(cat "$d/err")"
        [ -s "$d/out" ] && fail "$name: output for a non-capture"
    fi
    if [ "$want_pkts" -ge 0 ]; then
        got=$(pkts "$d/out")
        [ "$got" -eq "$want_pkts" ] || fail "$name: $got packets analysed, want $want_pkts"
    fi
    # The same file through stdin (a pipe: no seeking) must give the same result.
    timeout 20 "$RSTSCOPE" analyze --format=jsonl - <"$f" >"$d/out2" 2>"$d/err2"
    rc2=$?
    [ $rc2 -eq "$want_rc" ] || fail "$name via stdin: exit $rc2, want $want_rc: $(cat "$d/err2")"
    # (uids differ: the hash seed is random per run)
    cmp -s <(sed 's/"uid":"[^"]*"//' "$d/out") <(sed 's/"uid":"[^"]*"//' "$d/out2") ||
        fail "$name via stdin: different records"
    n=$((n + 1))
done <"$d/manifest"
[ "$n" -ge 30 ] || fail "only $n cases in the manifest"
echo "$n damaged captures ok"

# The truncation sweep: every prefix of a small pcap and pcapng capture. A
# prefix shorter than the file header is not a capture (exit 2, one line
# naming the file); any longer prefix is exit 0 with every whole record
# analysed, and a "truncated" message exactly when the cut is inside a record.
# Bash builtins only, apart from rstscope (gen_damaged wrote the prefixes):
# this runs ~840 times.
# Under make check SAN=1 (where each run costs ~10 times more) only the
# prefixes within 2 bytes of a header or record boundary run here; the full
# every-byte sweep under the sanitizers runs in-process through the pipeline
# fuzz target (robust_fuzz_replay.sh: replay_pipeline -p ...sweep-*).
slurp() { REPLY=; IFS= read -r -d '' REPLY <"$1" || true; }
pkts_of() {
    local s=$1 re='"(client|server)_pkts":([0-9]+)'
    total=0
    while [[ $s =~ $re ]]; do
        total=$((total + BASH_REMATCH[2]))
        s=${s#*"${BASH_REMATCH[0]}"}
    done
}
sweep() {
    local cap=$1 ends=$2 header size k want last x out err p
    mapfile -t e <"$ends"
    header=${e[0]}
    e=("${e[@]:1}")
    size=$(stat -c %s "$cap")
    local -A near=()
    for x in 0 "$header" "${e[@]}"; do
        for ((k = x - 2; k <= x + 2; k++)); do near[$k]=1; done
    done
    near[28]=1
    for ((k = 0; k < size; k++)); do
        [ -n "$san" ] && [ -z "${near[$k]:-}" ] && continue
        p=$d/cut/${cap##*/}.$k
        timeout 20 "$RSTSCOPE" analyze --format=jsonl "$p" >"$d/out" 2>"$d/err"
        rc=$?
        slurp "$d/err"; err=$REPLY
        [ $rc -eq 124 ] && fail "$cap prefix $k: hung"
        [ $rc -ge 128 ] && fail "$cap prefix $k: crashed (exit $rc): $err"
        if [ "$k" -lt "$header" ]; then
            # pcapng: the section header alone (28 bytes) is a valid, empty capture.
            if [ "$k" -eq 28 ] && [[ $cap == *.pcapng ]]; then
                [ $rc -eq 0 ] || fail "$cap prefix $k: exit $rc, want 0"
                continue
            fi
            [ $rc -eq 2 ] || fail "$cap prefix $k: exit $rc, want 2: $err"
            [[ $err == "rstscope: $p: "*$'\n' && $err != *$'\n'*$'\n' ]] ||
                fail "$cap prefix $k: want one line naming the file: $err"
            continue
        fi
        [ $rc -eq 0 ] || fail "$cap prefix $k: exit $rc, want 0: $err"
        want=0 last=$header
        for x in "${e[@]}"; do
            [ "$x" -le "$k" ] || break
            want=$((want + 1)) last=$x
        done
        slurp "$d/out"; pkts_of "$REPLY"
        [ "$total" -eq "$want" ] || fail "$cap prefix $k: $total packets analysed, want $want"
        if [ "$last" -eq "$k" ]; then
            [ -z "$err" ] || fail "$cap prefix $k: a clean cut reported as damage: $err"
        elif [ "$want" -eq 0 ]; then
            [[ $err == "rstscope: $p: truncated before the first packet: "* ]] ||
                fail "$cap prefix $k: no truncation message: $err"
        else
            [[ $err == "rstscope: $p: truncated after packet $want: "* ]] ||
                fail "$cap prefix $k: no truncation message: $err"
        fi
    done
    echo "$(basename "$cap"): ${san:+boundary }prefixes of $size bytes ok"
}
san=
case "$BUILD" in *san*) san=1 ;; esac
sweep "$d/sweep.pcap" "$d/sweep.pcap.ends"
sweep "$d/sweep.pcapng" "$d/sweep.pcapng.ends"
echo ok
