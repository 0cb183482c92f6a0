#!/bin/sh
# load.sh CAPTURE_POINT [FILE.jsonl...]
# Loads rstscope jsonl (analyze --format=jsonl, live --format=jsonl; stdin
# when no FILE is given) into ClickHouse, adding the capture_point column to
# every record on the way: each jsonl line is one object that starts with
# '{', so the column goes right after it.
#
#   CLICKHOUSE_CLIENT  the client command (default: clickhouse-client), e.g.
#                      'clickhouse-client --host ch1 --port 9000 --user rst'
#   CLICKHOUSE_TABLE   the table (default: rstscope.sessions; on a cluster
#                      rstscope.sessions_all)
#
# Unknown keys are skipped (input_format_skip_unknown_fields), so jsonl from
# a newer rstscope with more fields still loads into this schema.
#   rstscope analyze --format=jsonl edge.pcap | load.sh edge-fra1
set -eu
if [ $# -lt 1 ]; then
    echo "usage: load.sh CAPTURE_POINT [FILE.jsonl...]" >&2
    exit 1
fi
cp=$1
shift
case $cp in
'' | *[!A-Za-z0-9._:-]*)
    echo "load.sh: a capture point name uses only A-Z a-z 0-9 . _ : - ('$cp')" >&2
    exit 1
    ;;
esac
cat "$@" | sed "s/^{/{\"capture_point\":\"$cp\",/" |
    ${CLICKHOUSE_CLIENT:-clickhouse-client} --input_format_skip_unknown_fields=1 \
        --query "INSERT INTO ${CLICKHOUSE_TABLE:-rstscope.sessions} FORMAT JSONEachRow"
