-- The questions an engineer asks of many capture points' sessions
-- (rstscope.sessions from schema.sql; on a cluster, query
-- rstscope.sessions_all from distributed.sql instead). Times are UTC.
-- "Reset" means what `rstscope summary` counts: a session whose end_reason
-- is tcp-rst-from-client or tcp-rst-from-server. Every query here runs on
-- ClickHouse 18.16 (Debian 12) and newer; tests/cli/clickhouse.sh runs each
-- one and checks its answer against the jsonl it was loaded from.

-- name: resets_by_cause_server_hour
-- Resets by cause, per server, per hour: which service is being reset, how,
-- and since when.
SELECT
    toStartOfHour(end_time) AS hour,
    server,
    server_port,
    rst_cause,
    count() AS resets
FROM rstscope.sessions
WHERE end_reason IN ('tcp-rst-from-client', 'tcp-rst-from-server')
GROUP BY hour, server, server_port, rst_cause
ORDER BY hour, resets DESC, server, server_port, rst_cause;

-- name: top_reset_sources
-- Who sends the resets: the address whose RST ended each session, with
-- how many capture points saw it and the causes it was diagnosed with.
SELECT
    if(end_reason = 'tcp-rst-from-client', client, server) AS source,
    count() AS resets,
    uniqExact(capture_point) AS capture_points,
    arraySort(groupUniqArray(rst_cause)) AS causes
FROM rstscope.sessions
WHERE end_reason IN ('tcp-rst-from-client', 'tcp-rst-from-server')
GROUP BY source
ORDER BY resets DESC, source
LIMIT 20;

-- name: end_reasons_by_capture_point
-- How sessions end at each capture point (the firewall-log view).
SELECT
    capture_point,
    end_reason,
    count() AS sessions
FROM rstscope.sessions
GROUP BY capture_point, end_reason
ORDER BY capture_point, sessions DESC, end_reason;

-- name: server_reset_rate
-- Reset rate per server over every capture point: TCP sessions ended by a
-- reset / TCP sessions, leaving out unsolicited RSTs (sessions made only of
-- RSTs from one side: history R, RR, r, ^r, ...), as `summary` does.
SELECT
    server,
    server_port,
    count() AS sessions,
    countIf(end_reason IN ('tcp-rst-from-client', 'tcp-rst-from-server')) AS resets,
    round(100 * resets / sessions, 1) AS reset_pct
FROM rstscope.sessions
WHERE proto = 'tcp' AND NOT match(history, '^\\^?(R+|r+)$')
GROUP BY server, server_port
HAVING resets > 0
ORDER BY resets DESC, reset_pct DESC, sessions DESC, server, server_port
LIMIT 20;

-- name: data_at_risk_by_cause
-- What was in flight (sent, not yet acknowledged) when the resets hit.
SELECT
    rst_cause,
    count() AS sessions,
    sum(inflight_client_bytes) AS client_bytes_in_flight,
    sum(inflight_server_bytes) AS server_bytes_in_flight
FROM rstscope.sessions
WHERE rst_cause != ''
GROUP BY rst_cause
ORDER BY client_bytes_in_flight + server_bytes_in_flight DESC, sessions DESC, rst_cause;

-- name: resets_per_capture_point_hour
-- The timeline: sessions and resets per capture point and hour.
SELECT
    capture_point,
    toStartOfHour(end_time) AS hour,
    count() AS sessions,
    countIf(end_reason IN ('tcp-rst-from-client', 'tcp-rst-from-server')) AS resets
FROM rstscope.sessions
GROUP BY capture_point, hour
ORDER BY capture_point, hour;

-- name: unsolicited_rst_targets
-- Unsolicited RSTs per target address (flood or backscatter candidates; see
-- `rstscope summary` for the findings of one capture): how many, from how
-- many senders, at how many capture points.
SELECT
    if(position(history, 'R') > 0, server, client) AS target,
    count() AS rsts,
    uniqExact(if(position(history, 'R') > 0, client, server)) AS senders,
    uniqExact(capture_point) AS capture_points
FROM rstscope.sessions
WHERE proto = 'tcp' AND match(history, '^\\^?(R+|r+)$')
GROUP BY target
ORDER BY rsts DESC, target
LIMIT 20;
