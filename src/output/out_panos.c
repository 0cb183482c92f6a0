/*
 * out_panos.c - PAN-OS TRAFFIC log lines (`--format=panos`), one per session.
 *
 * The field order is the syslog default format of PAN-OS 9.1 traffic logs
 * ("Traffic Log Fields", PAN-OS 9.1 admin guide): 75 comma-separated
 * fields from FUTURE_USE, Receive Time, Serial Number, Type, Threat/Content
 * Type to Dynamic User Group Name. PAN-OS 10.x and 11.x append fields after
 * the last of those and keep every position before it, so parsers written
 * for any of these versions (Splunk, Elastic, QRadar, Sentinel, Chronicle
 * map fields by position) read these lines unchanged.
 *
 * What a capture cannot know is left empty as PAN-OS leaves unused fields
 * (serial number, users, zones, interfaces, log action, device name,
 * UUIDs), or given the value PAN-OS writes when a feature is not in use:
 * NAT addresses 0.0.0.0 (:: for IPv6) and ports 0, tunnel type N/A, counters
 * 0, category "any", repeat count 1, the device-group hierarchy 0,0,0,0.
 * Source/Destination Location holds PAN-OS's name of an RFC 1918 range
 * ("10.0.0.0-10.255.255.255") and is empty for other addresses (the
 * firewall's geolocation database is not ours to guess).
 *
 * Subtype, as PAN-OS logs it: "end" for a session that was allowed; with
 * --policy, "drop" for a session blocked before App-ID (app
 * not-applicable, Session ID 0: PAN-OS never installs such a session) and
 * "deny" for one blocked after App-ID. Times are UTC (PAN-OS writes the
 * firewall's local time; `explain --log-tz` reads either). Bytes are IP
 * bytes (headers included, as the firewall counts them; no link header).
 * Sessions still open when the capture ended get end reason "unknown".
 * Fields are quoted only when they contain a comma, quote or line break
 * (PAN-OS quotes such fields the same way).
 */
#include <stdlib.h>
#include <string.h>

#include <rstscope/panlog.h>

#include "output_int.h"

struct panos_state {
    int64_t cached_sec; /* the second `cached` holds, or INT64_MIN */
    char cached[24];
};

static int
panos_start(struct rs_writer *w)
{
    struct panos_state *st = calloc(1, sizeof *st);
    if (!st)
        return RS_ERR_NOMEM;
    st->cached_sec = INT64_MIN;
    w->state = st;
    return 0;
}

static void
panos_free(struct rs_writer *w)
{
    free(w->state);
    w->state = NULL;
}

/* PAN-OS's location text for private IPv4 ranges (RFC 1918). */
static const char *
location(const struct rs_addr *a)
{
    if (!rs_addr_is_v4(a))
        return "";
    const uint8_t *v = a->b + 12;
    if (v[0] == 10)
        return "10.0.0.0-10.255.255.255";
    if (v[0] == 172 && (v[1] & 0xf0) == 16)
        return "172.16.0.0-172.31.255.255";
    if (v[0] == 192 && v[1] == 168)
        return "192.168.0.0-192.168.255.255";
    return "";
}

static void
put_time(struct rs_writer *w, rs_time_ns t)
{
    struct panos_state *st = w->state;
    int64_t sec = t / RS_NS_PER_SEC - (t < 0 && t % RS_NS_PER_SEC ? 1 : 0);
    if (sec != st->cached_sec) {
        if (rs_panos_time_format(t, st->cached, sizeof st->cached) == 0)
            st->cached[0] = '\0';
        st->cached_sec = sec;
    }
    rs_obuf_puts(&w->ob, st->cached);
}

static void
put_u64(struct rs_obuf *b, uint64_t v)
{
    char num[RS_NUM_MAX];
    rs_obuf_put(b, num, rs_output_u64(num, v));
}

static void
put_str(struct rs_obuf *b, const char *s, size_t n)
{
    rs_obuf_csv_str(b, s, n);
}

static void
put_addr(struct rs_obuf *b, const struct rs_addr *a)
{
    char t[64];
    rs_obuf_put(b, t, rs_addr_format(a, t, sizeof t));
}

#define SEP() rs_obuf_putc(b, ',')
#define LIT(s) rs_obuf_put(b, s, sizeof(s) - 1)

static int
panos_write(struct rs_writer *w, const struct rs_record *r)
{
    struct rs_obuf *b = &w->ob;
    char app[32];
    size_t app_n = rs_panos_app(r, app, sizeof app);
    int denied = r->end_reason == RS_END_POLICY_DENY;
    int pre_appid = denied && strcmp(app, "not-applicable") == 0;
    int v6 = !rs_addr_is_v4(&r->client);
    int ports = r->proto == 6 || r->proto == 17 || r->proto == 132;
    const char *nat = v6 ? "::" : "0.0.0.0";

    /* 1-7: FUTURE_USE, Receive Time, Serial Number, Type, Subtype, FUTURE_USE, Generated Time */
    LIT("1,");
    put_time(w, r->end_ts);
    LIT(",,TRAFFIC,");
    rs_obuf_puts(b, !denied ? "end" : pre_appid ? "drop" : "deny");
    LIT(",1,");
    put_time(w, r->end_ts);
    /* 8-11: Source Address, Destination Address, NAT Source IP, NAT Destination IP */
    SEP();
    put_addr(b, &r->client);
    SEP();
    put_addr(b, &r->server);
    SEP();
    rs_obuf_puts(b, nat);
    SEP();
    rs_obuf_puts(b, nat);
    /* 12-15: Rule Name, Source User, Destination User, Application */
    SEP();
    put_str(b, r->rule, RS_STRLEN(r->rule));
    LIT(",,,");
    put_str(b, app, app_n);
    /* 16-22: Virtual System, Source Zone, Destination Zone, Inbound Interface,
     * Outbound Interface, Log Action, FUTURE_USE (PAN-OS writes a time here) */
    LIT(",,,,,,,");
    put_time(w, r->end_ts);
    /* 23-24: Session ID, Repeat Count */
    SEP();
    put_u64(b, pre_appid ? 0 : r->id);
    LIT(",1,");
    /* 25-28: Source Port, Destination Port, NAT Source Port, NAT Destination Port */
    put_u64(b, ports ? r->client_port : 0);
    SEP();
    put_u64(b, ports ? r->server_port : 0);
    LIT(",0,0,");
    /* 29-31: Flags (0x02000000: IPv6 session), Protocol, Action */
    rs_obuf_puts(b, v6 ? "0x2000000" : "0x0");
    SEP();
    const char *pname = rs_panos_proto_name(r->proto);
    if (pname)
        rs_obuf_puts(b, pname);
    else
        put_u64(b, r->proto);
    SEP();
    rs_obuf_puts(b, r->action[0] ? r->action : "allow");
    /* 32-35: Bytes, Bytes Sent, Bytes Received, Packets */
    SEP();
    put_u64(b, r->client_ip_bytes + r->server_ip_bytes);
    SEP();
    put_u64(b, r->client_ip_bytes);
    SEP();
    put_u64(b, r->server_ip_bytes);
    SEP();
    put_u64(b, r->client_pkts + r->server_pkts);
    /* 36-39: Start Time, Elapsed Time (s), Category, FUTURE_USE */
    SEP();
    put_time(w, r->ts);
    SEP();
    put_u64(b, (uint64_t)(rs_record_duration(r) / RS_NS_PER_SEC));
    LIT(",any,0,");
    /* 40-44: Sequence Number, Action Flags, Source Location, Destination Location, FUTURE_USE */
    put_u64(b, r->id);
    LIT(",0x0,");
    rs_obuf_puts(b, location(&r->client));
    SEP();
    rs_obuf_puts(b, location(&r->server));
    LIT(",0,");
    /* 45-47: Packets Sent, Packets Received, Session End Reason */
    put_u64(b, r->client_pkts);
    SEP();
    put_u64(b, r->server_pkts);
    SEP();
    rs_obuf_puts(b, rs_panos_end_reason(r->end_reason));
    /* 48-54: Device Group Hierarchy Level 1-4, Virtual System Name, Device
     * Name, Action Source */
    LIT(",0,0,0,0,,,");
    rs_obuf_puts(b, denied && !pre_appid ? "from-application" : "from-policy");
    /* 55-66: Source VM UUID, Destination VM UUID, Tunnel ID/IMSI, Monitor
     * Tag/IMEI, Parent Session ID, Parent Start Time, Tunnel Type, SCTP
     * Association ID, SCTP Chunks, SCTP Chunks Sent, SCTP Chunks Received,
     * Rule UUID */
    LIT(",,,0,,0,,N/A,0,0,0,0,");
    /* 67-75: HTTP/2 Connection, App Flap Count, Policy ID, Link Switches,
     * SD-WAN Cluster, SD-WAN Device Type, SD-WAN Cluster Type, SD-WAN Site,
     * Dynamic User Group Name */
    LIT(",0,0,,0,,,,,\n");
    rs_writer_flush_line(w);
    return 0;
}

static int
panos_finish(struct rs_writer *w, rs_time_ns close_ts)
{
    (void)w;
    (void)close_ts;
    return 0;
}

const struct rs_writer_ops rs_out_panos_ops = {
    .name = "panos",
    .start = panos_start,
    .write = panos_write,
    .finish = panos_finish,
    .free_state = panos_free,
};
