#!/usr/bin/env bash
# FTP data channels on real captures (docs/appid.md): every data connection
# announced on the control connection is `ftp-data`, by EPSV and EPRT on
# IPv6 (Zeek's ftp/ipv6.pcap, where Zeek names the same five) and by PASV
# on IPv4 (nDPI's ftp.pcap, where nDPI names the first only), the same with
# --threads 2, and `ftp` in the PAN-OS writer.
set -u
corpus="$TOP/../shared/corpus"
if [ ! -d "$corpus" ]; then echo "skipped: ../shared/corpus is not there"; exit 77; fi
fail=0
check() { # file, ftp-data sessions wanted
    local f=$corpus/$1 want=$2 got t2
    got=$("$RSTSCOPE" analyze --format=zeek -q "$f" | awk -F'\t' '!/^#/ && $8 == "ftp-data"' | wc -l)
    [ "$got" -eq "$want" ] || { echo "FAIL $1: $got ftp-data sessions, $want wanted"; fail=1; }
    t2=$("$RSTSCOPE" analyze --seed=1 --format=jsonl --threads 2 -q "$f" | md5sum)
    [ "$t2" = "$("$RSTSCOPE" analyze --seed=1 --format=jsonl -q "$f" | md5sum)" ] ||
        { echo "FAIL $1: --threads 2 differs"; fail=1; }
    # The control session itself stays ftp.
    "$RSTSCOPE" analyze --format=zeek -q "$f" | awk -F'\t' '!/^#/ && $6 == 21 && $8 == "ftp"' | grep -q . ||
        { echo "FAIL $1: no ftp control session"; fail=1; }
}
check zeek/traces/ftp/ipv6.pcap 5
check ndpi/pcap/ftp.pcap 2
# PAN-OS logs a data session as its control session's app.
n=$("$RSTSCOPE" analyze --format=panos -q "$corpus/ndpi/pcap/ftp.pcap" | grep -c ',ftp,')
[ "$n" -eq 3 ] || { echo "FAIL panos: $n sessions of app ftp, 3 wanted"; fail=1; }
# No FTP in a capture, no ftp-data.
if "$RSTSCOPE" analyze --format=jsonl -q "$corpus/zeek/traces/ftp/cwd-navigation.pcap" | grep -q '"ftp-data"'; then
    echo "FAIL cwd-navigation: ftp-data without a data connection"; fail=1
fi
[ $fail -eq 0 ] && echo "ftp-data: ok"
exit $fail
