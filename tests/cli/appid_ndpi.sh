#!/usr/bin/env bash
# App-ID against nDPI's verdicts on ../shared/corpus/ndpi (issue #4):
#  * agreement: our `app` names nDPI's protocol (mapped to Zeek-style names) on
#    >= 95% of the flows where nDPI identified one of our protocols by payload
#    (confidence "DPI"); flows nDPI only guessed from the port (a SYN answered
#    by RST carries no payload) are reported, not scored;
#  * names: every SNI/Host nDPI reports for a TLS, HTTP or QUIC flow is ours
#    too (QUIC: read from the decrypted client Initial, see docs/appid.md).
# Set APPID_NDPI_VERBOSE=1 to list every scored flow.
set -u
corpus="${TOP:-.}/../shared/corpus/ndpi"
if [ ! -f "$corpus/manifest.tsv" ]; then
    echo "skipped: ../shared/corpus/ndpi is not there"
    exit 77
fi
RSTSCOPE=${RSTSCOPE:-build/rstscope}
exec python3 - "$corpus" "$RSTSCOPE" <<'PY'
import json, os, re, subprocess, sys

corpus, tool = sys.argv[1], sys.argv[2]
verbose = os.environ.get("APPID_NDPI_VERBOSE") == "1"

# nDPI master protocol -> our names (any of them counts).
MAP = {
    "HTTP": {"http"}, "TLS": {"ssl"}, "DNS": {"dns"}, "SSH": {"ssh"}, "SMTP": {"smtp"},
    "POP3": {"pop3"}, "IMAP": {"imap"}, "FTP_CONTROL": {"ftp"}, "QUIC": {"quic"},
    "NTP": {"ntp"}, "DHCP": {"dhcp"}, "SIP": {"sip"}, "RDP": {"rdp"}, "SMBv1": {"smb"},
    "SMBv23": {"smb"}, "LDAP": {"ldap_tcp", "ldap_udp"}, "Kerberos": {"krb", "krb_tcp"},
    "SNMP": {"snmp"}, "Syslog": {"syslog", "syslog_tcp"}, "MySQL": {"mysql"},
    "PostgreSQL": {"postgresql"}, "Redis": {"redis"}, "MQTT": {"mqtt"},
    "BitTorrent": {"bittorrent"}, "BGP": {"bgp"}, "Telnet": {"telnet"}, "RTSP": {"rtsp"},
}

def key(proto, a, pa, b, pb):
    x, y = (a, int(pa)), (b, int(pb))
    return (proto.lower(),) + (tuple(sorted([x, y])))

def ours(pcap):
    out = subprocess.run([tool, "analyze", "--format=jsonl", "-q", pcap],
                         capture_output=True, text=True)
    recs = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if r["proto"] not in ("tcp", "udp"):
            continue
        k = key(r["proto"], r["client"], r["client_port"], r["server"], r["server_port"])
        recs.setdefault(k, []).append(r)
    return recs

FLOW = re.compile(r"^\s*\d+\s+(TCP|UDP)\s+(\[[^\]]+\]|[^\s:]+):(\d+)\s+<?->\s+"
                  r"(\[[^\]]+\]|[^\s:]+):(\d+)\s+.*?\[proto: [^/\]]*/([^\]]+)\]")
NAME = re.compile(r"\[Hostname/SNI: ([^\]]*)\]")

scored = agree = guessed = guessed_agree = 0
names_total = names_ok = 0
quic_total = quic_ok = 0
misses = []
with open(os.path.join(corpus, "manifest.tsv")) as m:
    rows = [l.rstrip("\n").split("\t") for l in m][1:]
for row in rows:
    pcap, expected_out, flows_tsv = row[1], row[2], row[3]
    recs = ours(os.path.join(corpus, pcap))
    with open(os.path.join(corpus, flows_tsv)) as f:
        lines = [l.rstrip("\n").split("\t") for l in f if not l.startswith("#")]
    hdr, flows = lines[0], lines[1:]
    col = {n: i for i, n in enumerate(hdr)}
    for fl in flows:
        name = fl[col["proto_name"]]
        master = name.split(".")[0]
        if master not in MAP:
            continue
        k = key(fl[col["l4"]], fl[col["src_ip"]].strip("[]"), fl[col["src_port"]],
                fl[col["dst_ip"]].strip("[]"), fl[col["dst_port"]])
        apps = [r["app"] for r in recs.get(k, [])]
        hit = any(MAP[master] & set(a.split(",")) for a in apps)
        if fl[col["confidence"]] == "DPI":
            scored += 1
            agree += hit
            if not hit:
                misses.append(f"{pcap}: {k} nDPI {name}, ours {apps or 'no record'}")
            elif verbose:
                print(f"ok   {pcap}: {k} nDPI {name}, ours {apps}")
        else:
            guessed += 1
            guessed_agree += hit
    # Names: from ndpiReader's own flow lines.
    with open(os.path.join(corpus, expected_out), errors="replace") as f:
        for line in f:
            mf, mn = FLOW.match(line), NAME.search(line)
            if not mf or not mn or not mn.group(1):
                continue
            master = mf.group(6).split(".")[0]
            if master not in ("TLS", "HTTP", "QUIC"):
                continue
            k = key(mf.group(1), mf.group(2).strip("[]"), mf.group(3),
                    mf.group(4).strip("[]"), mf.group(5))
            want = mn.group(1)
            got = [r["sni"] if master != "HTTP" else r["http_host"] for r in recs.get(k, [])]
            if master == "QUIC":
                quic_total += 1
                if want in got:
                    quic_ok += 1
                else:
                    misses.append(f"{pcap}: {k} nDPI QUIC SNI {want!r}, ours {got}")
                continue
            names_total += 1
            if want in got:
                names_ok += 1
            else:
                misses.append(f"{pcap}: {k} nDPI {master} name {want!r}, ours {got}")

for m in misses:
    print("miss", m)
pct = 100.0 * agree / scored if scored else 0.0
print(f"app agreement (nDPI DPI verdicts, our protocols): {agree}/{scored} = {pct:.1f}%")
print(f"port-guessed by nDPI (not scored): {guessed_agree}/{guessed} also named by us")
print(f"TLS/HTTP names: {names_ok}/{names_total}")
print(f"QUIC SNIs: {quic_ok}/{quic_total}")
ok = scored > 0 and pct >= 95.0 and names_ok == names_total and quic_ok == quic_total
sys.exit(0 if ok else 1)
PY
