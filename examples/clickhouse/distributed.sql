-- Many ClickHouse servers: run schema.sql on every node of the cluster,
-- then this on every node (or on the nodes you load and query through). It
-- assumes a cluster named 'rstscope' in the servers' <remote_servers>
-- configuration (docs/clickhouse.md has an example). Rows are spread over
-- the shards by capture point, so that one capture point's sessions stay
-- together on one shard; load into and query rstscope.sessions_all
-- (load.sh: CLICKHOUSE_TABLE=rstscope.sessions_all), or load each capture
-- point into its own shard's rstscope.sessions and query sessions_all.
-- The columns are schema.sql's.

CREATE TABLE IF NOT EXISTS rstscope.sessions_all
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

    -- ALIAS here, MATERIALIZED in the shards' tables: ClickHouse (18.16 at
    -- least) refuses an insert through a Distributed table that has
    -- MATERIALIZED columns, and an ALIAS is computed from ts/end_ts at query time
    start_time            DateTime('UTC') ALIAS toDateTime(toUInt32(ts), 'UTC'),
    end_time              DateTime('UTC') ALIAS toDateTime(toUInt32(end_ts), 'UTC')
)
ENGINE = Distributed(rstscope, rstscope, sessions, cityHash64(capture_point));
