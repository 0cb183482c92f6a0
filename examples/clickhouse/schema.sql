-- rstscope session records in ClickHouse: one row per session, loaded from
-- `rstscope analyze --format=jsonl` (or `live`) with FORMAT JSONEachRow; the
-- capture_point column is added at load time (load.sh, docs/clickhouse.md).
--
-- The columns are the jsonl keys, with the same names and types, so a line
-- loads as it is. Written for every ClickHouse from 18.16 (Debian 12's
-- package) on: plain String columns, times as the jsonl's Unix seconds
-- (Float64, microseconds) plus two MATERIALIZED DateTime columns computed
-- at insert for grouping by hour. On ClickHouse 20.1 or newer you may turn
-- the repetitive strings into LowCardinality(String) and add a
-- DateTime64(6) column; docs/clickhouse.md shows how.
--
--   clickhouse-client --multiquery < examples/clickhouse/schema.sql

CREATE DATABASE IF NOT EXISTS rstscope;

CREATE TABLE IF NOT EXISTS rstscope.sessions
(
    capture_point         String,   -- where the capture was taken: set by load.sh
    uid                   String,   -- Zeek-style connection uid (unique per run)
    ts                    Float64,  -- first packet, Unix seconds
    end_ts                Float64,  -- last packet
    duration              Float64,  -- seconds
    proto                 String,   -- tcp, udp, icmp, unknown_transport
    client                String,   -- the initiator's address (IPv4 or IPv6 text)
    client_port           UInt16,   -- ICMP: the type
    server                String,
    server_port           UInt16,   -- ICMP: the code
    end_reason            String,   -- tcp-fin, tcp-rst-from-client, tcp-rst-from-server,
                                    -- tcp-reuse, aged-out, open, policy-deny
    app                   String,   -- Zeek service name or App-ID state
    conn_state            String,   -- Zeek conn_state
    history               String,   -- Zeek history
    client_pkts           UInt64,
    client_bytes          UInt64,   -- payload bytes
    server_pkts           UInt64,
    server_bytes          UInt64,
    client_ip_bytes       UInt64,   -- IP-level bytes, as Zeek's orig_ip_bytes
    server_ip_bytes       UInt64,
    missed_bytes          UInt64,
    rst_by                String,   -- '', client, server, both
    rst_cause             String,   -- SPEC 6 code, '' when no reset
    rst_confidence        String,   -- '', low, medium, high
    rst_flags             String,   -- e.g. 'ttl_mismatch,early_arrival'
    inflight_client_bytes UInt64,   -- data at risk when the reset hit
    inflight_server_bytes UInt64,
    explanation           String,
    hint                  String,
    sni                   String,
    http_host             String,
    action                String,   -- --policy: allow, deny, drop, reset-*; '' without
    rule                  String,   -- --policy: the rule that decided

    -- computed at insert, for grouping: the session's start and end (UTC)
    start_time            DateTime('UTC') MATERIALIZED toDateTime(toUInt32(ts), 'UTC'),
    end_time              DateTime('UTC') MATERIALIZED toDateTime(toUInt32(end_ts), 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(end_time)
ORDER BY (end_time, capture_point, server, server_port);
