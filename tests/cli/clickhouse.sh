#!/usr/bin/env bash
# san: once
# ClickHouse scale-out path (issue #9): a clickhouse-server (Debian's
# package, 18.16 in Debian 12) started here on loopback with a private data
# directory; examples/clickhouse/schema.sql and distributed.sql (a cluster
# of this one server); the jsonl of two capture points loaded with
# examples/clickhouse/load.sh (one from a file, one from two files); then
# every query of examples/clickhouse/queries.sql, on the local and on the
# distributed table, must give what the same question asked of the jsonl in
# python gives. docs/clickhouse.md must show each query as it is in the file.
set -u
d=$(mktemp -d)
chpid=
cleanup() {
    if [ -n "$chpid" ]; then
        kill "$chpid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$chpid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$chpid" 2>/dev/null
    fi
    rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$d/server.err.log" ] && tail -5 "$d/server.err.log"; exit 1; }
RSTSCOPE=${RSTSCOPE:-build/rstscope}
TOOLS=${TOOLS:-build/tools}
TOP=${TOP:-.}
EX="$TOP/examples/clickhouse"

if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
    echo "clickhouse-server/clickhouse-client not installed (Debian: apt-get install clickhouse-server clickhouse-client): ClickHouse test skipped"
    exit 77
fi

ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
read -r http_port tcp_port <<<"$ports"
mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/server.err.log</errorlog><console>0</console></logger>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>0</uncompressed_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <remote_servers>
    <rstscope><shard><replica><host>127.0.0.1</host><port>$tcp_port</port></replica></shard></rstscope>
  </remote_servers>
</yandex>
EOF
cat >"$d/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
EOF
clickhouse-server --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
chpid=$!
CH="clickhouse-client --host 127.0.0.1 --port $tcp_port"
for i in $(seq 120); do
    $CH --query "SELECT 1" >/dev/null 2>&1 && break
    kill -0 "$chpid" 2>/dev/null || { cat "$d/stdout.log"; fail "clickhouse-server exited"; }
    [ "$i" -eq 120 ] && fail "clickhouse-server did not answer within 60 s"
    sleep 0.5
done
echo "clickhouse $($CH --query 'SELECT version()') on 127.0.0.1:$tcp_port"

$CH --multiquery <"$EX/schema.sql" || fail "schema.sql"
$CH --multiquery <"$EX/distributed.sql" || fail "distributed.sql"

# Two capture points: edge-a sees the summary test's mix; core-b the
# loopback capture plus the part of the mix on port 443 (so some servers and
# sources are seen at both).
"$TOOLS/gen_summary" "$d/mix.pcap" || fail "gen_summary"
"$RSTSCOPE" analyze -q --format=jsonl "$d/mix.pcap" >"$d/edge-a.jsonl" || fail "analyze mix"
"$RSTSCOPE" analyze -q --format=jsonl "$TOP/examples/loopback-resets.pcap" >"$d/core-b1.jsonl" || fail "analyze loop"
"$RSTSCOPE" analyze -q --format=jsonl --filter="tcp port 443" "$d/mix.pcap" >"$d/core-b2.jsonl" || fail "analyze 443"
export CLICKHOUSE_CLIENT="$CH"
sh "$EX/load.sh" edge-a <"$d/edge-a.jsonl" || fail "load.sh edge-a"
CLICKHOUSE_TABLE=rstscope.sessions_all sh "$EX/load.sh" core-b "$d/core-b1.jsonl" "$d/core-b2.jsonl" ||
    fail "load.sh core-b (through the distributed table)"
sh "$EX/load.sh" 'bad name' "$d/core-b1.jsonl" 2>/dev/null && fail "load.sh accepted a bad capture point"
# the distributed insert is asynchronous: wait until it has arrived
want_rows=$(cat "$d/edge-a.jsonl" "$d/core-b1.jsonl" "$d/core-b2.jsonl" | wc -l)
for i in $(seq 60); do
    [ "$($CH --query 'SELECT count() FROM rstscope.sessions')" = "$want_rows" ] && break
    [ "$i" -eq 60 ] && fail "rows: $($CH --query 'SELECT count() FROM rstscope.sessions') != $want_rows"
    sleep 0.5
done

# Each named query, on both tables.
python3 - "$EX/queries.sql" "$d" <<'PY' || fail "splitting queries.sql"
import re, sys
text = open(sys.argv[1]).read()
parts = re.split(r"^-- name: (\S+)\n", text, flags=re.M)
for name, body in zip(parts[1::2], parts[2::2]):
    sql = "\n".join(l for l in body.splitlines() if not l.startswith("--"))
    sql = sql[:sql.index(";")].strip()
    open(f"{sys.argv[2]}/q-{name}.sql", "w").write(sql)
    open(f"{sys.argv[2]}/q-{name}-all.sql", "w").write(sql.replace("rstscope.sessions", "rstscope.sessions_all"))
PY
n=0
for q in "$d"/q-*.sql; do
    $CH --query "$(cat "$q")" >"${q%.sql}.tsv" 2>"${q%.sql}.err" || { cat "${q%.sql}.err"; fail "query $(basename "$q")"; }
    n=$((n + 1))
done
[ "$n" -ge 14 ] || fail "only $n queries"

python3 - "$d" "$TOP/docs/clickhouse.md" "$EX/queries.sql" <<'PY' || fail "query answers differ from the jsonl"
import collections, datetime, glob, json, os, re, sys
d = sys.argv[1]
recs = []
for cp, files in (("edge-a", ["edge-a.jsonl"]), ("core-b", ["core-b1.jsonl", "core-b2.jsonl"])):
    for f in files:
        for line in open(os.path.join(d, f)):
            r = json.loads(line)
            r["capture_point"] = cp
            recs.append(r)
RST = ("tcp-rst-from-client", "tcp-rst-from-server")
hour = lambda t: datetime.datetime.fromtimestamp(int(t) // 3600 * 3600, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
unsol = lambda r: r["proto"] == "tcp" and re.fullmatch(r"\^?(R+|r+)", r["history"]) is not None
arr = lambda xs: "[" + ",".join("'" + x + "'" for x in xs) + "]"
want = {}

c = collections.Counter((hour(r["end_ts"]), r["server"], r["server_port"], r["rst_cause"]) for r in recs if r["end_reason"] in RST)
want["resets_by_cause_server_hour"] = sorted([list(k) + [n] for k, n in c.items()],
    key=lambda x: (x[0], -x[4], x[1], x[2], x[3]))

src = collections.defaultdict(list)
for r in recs:
    if r["end_reason"] in RST:
        src[r["client"] if r["end_reason"] == RST[0] else r["server"]].append(r)
rows = [[s, len(v), len({x["capture_point"] for x in v}), arr(sorted({x["rst_cause"] for x in v}))] for s, v in src.items()]
want["top_reset_sources"] = sorted(rows, key=lambda x: (-x[1], x[0]))[:20]

c = collections.Counter((r["capture_point"], r["end_reason"]) for r in recs)
want["end_reasons_by_capture_point"] = sorted([[k[0], k[1], n] for k, n in c.items()], key=lambda x: (x[0], -x[2], x[1]))

srv = collections.defaultdict(lambda: [0, 0])
for r in recs:
    if r["proto"] == "tcp" and not unsol(r):
        s = srv[(r["server"], r["server_port"])]
        s[0] += 1
        s[1] += r["end_reason"] in RST
rows = [[k[0], k[1], v[0], v[1], round(100 * v[1] / v[0], 1)] for k, v in srv.items() if v[1] > 0]
want["server_reset_rate"] = sorted(rows, key=lambda x: (-x[3], -x[4], -x[2], x[0], x[1]))[:20]

risk = collections.defaultdict(lambda: [0, 0, 0])
for r in recs:
    if r["rst_cause"]:
        v = risk[r["rst_cause"]]
        v[0] += 1; v[1] += r["inflight_client_bytes"]; v[2] += r["inflight_server_bytes"]
want["data_at_risk_by_cause"] = sorted([[k] + v for k, v in risk.items()], key=lambda x: (-(x[2] + x[3]), -x[1], x[0]))

tl = collections.defaultdict(lambda: [0, 0])
for r in recs:
    v = tl[(r["capture_point"], hour(r["end_ts"]))]
    v[0] += 1; v[1] += r["end_reason"] in RST
want["resets_per_capture_point_hour"] = sorted([list(k) + v for k, v in tl.items()])

tg = collections.defaultdict(list)
for r in recs:
    if unsol(r):
        up = "R" in r["history"]
        tg[r["server"] if up else r["client"]].append((r["client"] if up else r["server"], r["capture_point"]))
rows = [[t, len(v), len({x[0] for x in v}), len({x[1] for x in v})] for t, v in tg.items()]
want["unsolicited_rst_targets"] = sorted(rows, key=lambda x: (-x[1], x[0]))[:20]

def same(a, b):
    try:
        return abs(float(a) - float(b)) < 0.051
    except ValueError:
        return str(a) == str(b)
bad = []
for name, rows in want.items():
    if not rows:
        bad.append(f"{name}: the test data gives no rows")
    for suffix in ("", "-all"):
        got = [l.split("\t") for l in open(f"{d}/q-{name}{suffix}.tsv").read().splitlines()]
        ok = len(got) == len(rows) and all(len(g) == len(w) and all(same(x, y) for x, y in zip(g, w))
                                           for g, w in zip(got, rows))
        print(f"{name}{suffix}: {len(got)} rows, {'ok' if ok else 'DIFFERS'}")
        if not ok:
            bad.append(name + suffix)
            for g, w in list(zip(got, rows))[:5]:
                print("   got ", g, "\n   want", w)
if not any(r[2] > 1 for r in want["top_reset_sources"]):
    bad.append("no source seen at both capture points: the data does not test uniqExact")
doc = open(sys.argv[2]).read()
text = open(sys.argv[3]).read()
for name, body in zip(*[iter(re.split(r"^-- name: (\S+)\n", text, flags=re.M)[1:])] * 2):
    sql = "\n".join(l for l in body.splitlines() if not l.startswith("--"))
    sql = sql[:sql.index(";") + 1].strip()
    if sql not in doc:
        bad.append(f"docs/clickhouse.md does not show the query {name} as queries.sql has it")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
echo "ok"
