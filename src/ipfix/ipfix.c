/*
 * ipfix.c - IPFIX messages (RFC 7011) from session records: the templates,
 * the data records, the message framing and the template schedule.
 *
 * Both templates come from one table of elements (`ies`), walked once to
 * write a template record and once per data record to encode the values, so
 * the two cannot disagree. The IPv6 template differs only in the address and
 * ICMP type/code elements.
 *
 * Strings are variable-length fields (RFC 7011 §7: one length octet, or 255
 * and two octets). RFC 7011 §6.1.6 wants UTF-8: names from packets (SNI,
 * Host) may be anything, so bytes that do not form valid UTF-8 go out as '?'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipfix/ipfix_int.h"

/* What a template element carries. */
enum ie_src {
    S_START_MS,
    S_END_MS,
    S_SRC_ADDR,
    S_DST_ADDR,
    S_SRC_PORT,
    S_DST_PORT,
    S_PROTO,
    S_ICMP_TYPE_CODE,
    S_FLAGS,
    S_REV_FLAGS,
    S_END_REASON,
    S_BIFLOW_DIR,
    S_OCTETS,
    S_PACKETS,
    S_REV_OCTETS,
    S_REV_PACKETS,
    S_VLAN,
    S_E_END_REASON,
    S_E_APP,
    S_E_CONN_STATE,
    S_E_HISTORY,
    S_E_RST_BY,
    S_E_RST_CAUSE,
    S_E_RST_CONFIDENCE,
    S_E_RST_FLAGS,
    S_E_INFLIGHT_CLIENT,
    S_E_INFLIGHT_SERVER,
    S_E_CLIENT_PAYLOAD,
    S_E_SERVER_PAYLOAD,
    S_E_MISSED,
    S_E_UID,
    S_E_SNI,
    S_E_HTTP_HOST,
};

#define VARLEN 0xffffu

struct ie {
    uint16_t id4, id6; /* element id in the IPv4 / IPv6 template */
    uint16_t len4, len6;
    uint32_t pen; /* 0: IANA */
    enum ie_src src;
    uint16_t max; /* VARLEN: longest value (for the size bound) */
};

/* The element order is the record order. Ids: RFC 7012 / IANA "IPFIX
 * Information Elements"; PEN 29305: RFC 5103 reverse elements; PEN 32473:
 * rstscope's (rstscope/ipfix.h, docs/ipfix.md). */
static const struct ie ies[] = {
    {152, 152, 8, 8, 0, S_START_MS, 0},      /* flowStartMilliseconds */
    {153, 153, 8, 8, 0, S_END_MS, 0},        /* flowEndMilliseconds */
    {8, 27, 4, 16, 0, S_SRC_ADDR, 0},        /* sourceIPv4Address / sourceIPv6Address */
    {12, 28, 4, 16, 0, S_DST_ADDR, 0},       /* destinationIPv4Address / IPv6 */
    {7, 7, 2, 2, 0, S_SRC_PORT, 0},          /* sourceTransportPort */
    {11, 11, 2, 2, 0, S_DST_PORT, 0},        /* destinationTransportPort */
    {4, 4, 1, 1, 0, S_PROTO, 0},             /* protocolIdentifier */
    {32, 139, 2, 2, 0, S_ICMP_TYPE_CODE, 0}, /* icmpTypeCodeIPv4 / icmpTypeCodeIPv6 */
    /* reverseTcpControlBits before tcpControlBits: nfdump (1.7) reads both
     * into one field, the last one wins, and its "in" columns are the
     * forward direction. */
    {6, 6, 2, 2, RS_IPFIX_PEN_REVERSE, S_REV_FLAGS, 0},   /* reverseTcpControlBits */
    {6, 6, 2, 2, 0, S_FLAGS, 0},                          /* tcpControlBits */
    {136, 136, 1, 1, 0, S_END_REASON, 0},                 /* flowEndReason */
    {239, 239, 1, 1, 0, S_BIFLOW_DIR, 0},                 /* biflowDirection */
    {1, 1, 8, 8, 0, S_OCTETS, 0},                         /* octetDeltaCount */
    {2, 2, 8, 8, 0, S_PACKETS, 0},                        /* packetDeltaCount */
    {58, 58, 2, 2, 0, S_VLAN, 0},                         /* vlanId */
    {1, 1, 8, 8, RS_IPFIX_PEN_REVERSE, S_REV_OCTETS, 0},  /* reverseOctetDeltaCount */
    {2, 2, 8, 8, RS_IPFIX_PEN_REVERSE, S_REV_PACKETS, 0}, /* reversePacketDeltaCount */
    {RS_IPFIX_IE_END_REASON, RS_IPFIX_IE_END_REASON, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_END_REASON,
     31},
    {RS_IPFIX_IE_APP, RS_IPFIX_IE_APP, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_APP,
     sizeof(((struct rs_record *)0)->app) - 1},
    {RS_IPFIX_IE_CONN_STATE, RS_IPFIX_IE_CONN_STATE, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_CONN_STATE,
     sizeof(((struct rs_record *)0)->conn_state) - 1},
    {RS_IPFIX_IE_HISTORY, RS_IPFIX_IE_HISTORY, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_HISTORY,
     sizeof(((struct rs_record *)0)->history) - 1},
    {RS_IPFIX_IE_RST_BY, RS_IPFIX_IE_RST_BY, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_RST_BY, 15},
    {RS_IPFIX_IE_RST_CAUSE, RS_IPFIX_IE_RST_CAUSE, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_RST_CAUSE,
     sizeof(((struct rs_record *)0)->rst_cause) - 1},
    {RS_IPFIX_IE_RST_CONFIDENCE, RS_IPFIX_IE_RST_CONFIDENCE, VARLEN, VARLEN, RS_IPFIX_PEN,
     S_E_RST_CONFIDENCE, 15},
    {RS_IPFIX_IE_RST_FLAGS, RS_IPFIX_IE_RST_FLAGS, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_RST_FLAGS,
     127},
    {RS_IPFIX_IE_INFLIGHT_CLIENT, RS_IPFIX_IE_INFLIGHT_CLIENT, 8, 8, RS_IPFIX_PEN,
     S_E_INFLIGHT_CLIENT, 0},
    {RS_IPFIX_IE_INFLIGHT_SERVER, RS_IPFIX_IE_INFLIGHT_SERVER, 8, 8, RS_IPFIX_PEN,
     S_E_INFLIGHT_SERVER, 0},
    {RS_IPFIX_IE_CLIENT_PAYLOAD, RS_IPFIX_IE_CLIENT_PAYLOAD, 8, 8, RS_IPFIX_PEN, S_E_CLIENT_PAYLOAD,
     0},
    {RS_IPFIX_IE_SERVER_PAYLOAD, RS_IPFIX_IE_SERVER_PAYLOAD, 8, 8, RS_IPFIX_PEN, S_E_SERVER_PAYLOAD,
     0},
    {RS_IPFIX_IE_MISSED_BYTES, RS_IPFIX_IE_MISSED_BYTES, 8, 8, RS_IPFIX_PEN, S_E_MISSED, 0},
    {RS_IPFIX_IE_UID, RS_IPFIX_IE_UID, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_UID,
     sizeof(((struct rs_record *)0)->uid) - 1},
    {RS_IPFIX_IE_SNI, RS_IPFIX_IE_SNI, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_SNI,
     sizeof(((struct rs_record *)0)->sni) - 1},
    {RS_IPFIX_IE_HTTP_HOST, RS_IPFIX_IE_HTTP_HOST, VARLEN, VARLEN, RS_IPFIX_PEN, S_E_HTTP_HOST,
     sizeof(((struct rs_record *)0)->http_host) - 1},
};
#define N_IES (sizeof ies / sizeof ies[0])

#define MSG_HEADER 16
#define SET_HEADER 4
#define DEFAULT_UDP_MESSAGE 1400
#define DEFAULT_TCP_MESSAGE 65535

/* The biggest data record (IPv6, every string at its longest). */
static size_t
max_record_len(void)
{
    size_t n = 0;
    for (size_t i = 0; i < N_IES; i++)
        n += ies[i].len6 == VARLEN ? (size_t)ies[i].max + (ies[i].max >= 255 ? 3 : 1) : ies[i].len6;
    return n;
}

static size_t
templates_len(void)
{
    size_t n = SET_HEADER;
    for (int v6 = 0; v6 < 2; v6++) {
        n += 4;
        for (size_t i = 0; i < N_IES; i++)
            n += ies[i].pen ? 8 : 4;
    }
    return n;
}

/* ---- big-endian stores (the buffer is ours and big enough) ---- */

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* ---- values ---- */

int
rs_ipfix_transport_parse(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "udp") == 0)
        return RS_IPFIX_UDP;
    if (strcmp(name, "tcp") == 0)
        return RS_IPFIX_TCP;
    return -1;
}

uint8_t
rs_ipfix_end_reason(enum rs_end_reason e)
{
    switch (e) {
    case RS_END_AGED_OUT:
        return 1; /* idle timeout */
    case RS_END_OPEN:
        return 4; /* forced end: the capture ended with the session open */
    case RS_END_TCP_FIN:
    case RS_END_RST_CLIENT:
    case RS_END_RST_SERVER:
    case RS_END_TCP_REUSE:
    case RS_END_POLICY_DENY:
    case RS_END__COUNT:
        break;
    }
    return 3; /* end of flow detected */
}

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_ACK 0x10u

void
rs_ipfix_tcp_flags(const struct rs_record *r, uint16_t *client, uint16_t *server)
{
    uint16_t f[2] = {0, 0};
    if (r->proto == 6) {
        for (size_t i = 0; i < sizeof r->history && r->history[i]; i++) {
            char c = r->history[i];
            int side = c >= 'a' && c <= 'z';
            switch (side ? (char)(c - 'a' + 'A') : c) {
            case 'S':
                f[side] |= TCP_SYN;
                break;
            case 'H':
                f[side] |= TCP_SYN | TCP_ACK;
                break;
            case 'A':
            case 'D':
                f[side] |= TCP_ACK;
                break;
            case 'F':
                f[side] |= TCP_FIN | TCP_ACK;
                break;
            case 'R':
                f[side] |= TCP_RST;
                break;
            case 'I':
                f[side] |= TCP_SYN | TCP_RST;
                break;
            default:
                break;
            }
        }
    }
    *client = f[0];
    *server = f[1];
}

static rs_time_ns
now_ns(const struct rs_ipfix *x)
{
    if (x->opts.clock)
        return x->opts.clock(x->opts.clock_user);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (rs_time_ns)ts.tv_sec * RS_NS_PER_SEC + ts.tv_nsec;
}

/* Length of the valid UTF-8 sequence starting at p[0] (n bytes left), or
 * 0 if the byte does not start one (RFC 3629 §4: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
        (c == 0xf4 && p[1] >= 0x90))
        return 0;
    return len;
}

/* Copies s[0..n) to out, each byte that is not part of valid UTF-8 as '?'
 * (so the length stays n). Returns n. */
static size_t
utf8_clean(const char *s, size_t n, uint8_t *out)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_seq(p + i, n - i);
        if (!len) {
            out[i++] = '?';
            continue;
        }
        memcpy(out + i, p + i, len);
        i += len;
    }
    return n;
}

/* A variable-length string field (RFC 7011 §7), at most `max` bytes of s. */
static size_t
put_str(uint8_t *p, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (n < 255) {
        p[0] = (uint8_t)n;
        return 1 + utf8_clean(s, n, p + 1);
    }
    p[0] = 255;
    put16(p + 1, (uint16_t)n);
    return 3 + utf8_clean(s, n, p + 3);
}

static uint64_t
ms(rs_time_ns t)
{
    return t > 0 ? (uint64_t)(t / 1000000) : 0;
}

/* Encodes r at p (room for max_record_len()); returns the length. */
static size_t
encode_record(const struct rs_record *r, int v6, uint8_t *p)
{
    size_t n = 0;
    uint16_t cflags, sflags;
    rs_ipfix_tcp_flags(r, &cflags, &sflags);
    int icmp = r->proto == 1 || r->proto == 58;
    char flags[128];
    for (size_t i = 0; i < N_IES; i++) {
        const struct ie *e = &ies[i];
        uint8_t *q = p + n;
        size_t len = v6 ? e->len6 : e->len4;
        switch (e->src) {
        case S_START_MS:
            put64(q, ms(r->ts));
            break;
        case S_END_MS:
            put64(q, ms(r->end_ts));
            break;
        case S_SRC_ADDR:
            memcpy(q, v6 ? r->client.b : r->client.b + 12, len);
            break;
        case S_DST_ADDR:
            memcpy(q, v6 ? r->server.b : r->server.b + 12, len);
            break;
        case S_SRC_PORT:
            put16(q, icmp ? 0 : r->client_port);
            break;
        case S_DST_PORT:
            put16(q, icmp ? 0 : r->server_port);
            break;
        case S_PROTO:
            q[0] = r->proto;
            break;
        case S_ICMP_TYPE_CODE:
            /* The record keeps the ICMP type in client_port and the code in
             * server_port, as Zeek's conn.log does. */
            put16(q,
                  icmp ? (uint16_t)((r->client_port & 0xffu) << 8 | (r->server_port & 0xffu)) : 0);
            break;
        case S_FLAGS:
            put16(q, cflags);
            break;
        case S_REV_FLAGS:
            put16(q, sflags);
            break;
        case S_END_REASON:
            q[0] = rs_ipfix_end_reason(r->end_reason);
            break;
        case S_BIFLOW_DIR:
            q[0] = 1; /* RFC 5103 §6.3: initiator, the source is the client */
            break;
        case S_OCTETS:
            put64(q, r->client_ip_bytes);
            break;
        case S_PACKETS:
            put64(q, r->client_pkts);
            break;
        case S_REV_OCTETS:
            put64(q, r->server_ip_bytes);
            break;
        case S_REV_PACKETS:
            put64(q, r->server_pkts);
            break;
        case S_VLAN:
            put16(q, r->vlan);
            break;
        case S_E_END_REASON:
            len = put_str(q, rs_end_reason_name(r->end_reason), e->max);
            break;
        case S_E_APP:
            len = put_str(q, r->app, e->max);
            break;
        case S_E_CONN_STATE:
            len = put_str(q, r->conn_state, e->max);
            break;
        case S_E_HISTORY:
            len = put_str(q, r->history, e->max);
            break;
        case S_E_RST_BY:
            len = put_str(q, rs_rst_by_name(r->rst_by), e->max);
            break;
        case S_E_RST_CAUSE:
            len = put_str(q, r->rst_cause, e->max);
            break;
        case S_E_RST_CONFIDENCE:
            len = put_str(q, rs_confidence_name(r->rst_confidence), e->max);
            break;
        case S_E_RST_FLAGS:
            flags[0] = '\0';
            rs_rst_flags_format(r->rst_flags, flags, sizeof flags);
            len = put_str(q, flags, e->max);
            break;
        case S_E_INFLIGHT_CLIENT:
            put64(q, r->inflight_client_bytes);
            break;
        case S_E_INFLIGHT_SERVER:
            put64(q, r->inflight_server_bytes);
            break;
        case S_E_CLIENT_PAYLOAD:
            put64(q, r->client_bytes);
            break;
        case S_E_SERVER_PAYLOAD:
            put64(q, r->server_bytes);
            break;
        case S_E_MISSED:
            put64(q, r->missed_bytes);
            break;
        case S_E_UID:
            len = put_str(q, r->uid, e->max);
            break;
        case S_E_SNI:
            len = put_str(q, r->sni, e->max);
            break;
        case S_E_HTTP_HOST:
            len = put_str(q, r->http_host, e->max);
            break;
        }
        n += len;
    }
    return n;
}

/* The template set with both templates (RFC 7011 §3.4.1). */
static size_t
encode_templates(uint8_t *p)
{
    size_t n = SET_HEADER;
    for (int v6 = 0; v6 < 2; v6++) {
        put16(p + n, v6 ? RS_IPFIX_TEMPLATE_V6 : RS_IPFIX_TEMPLATE_V4);
        put16(p + n + 2, (uint16_t)N_IES);
        n += 4;
        for (size_t i = 0; i < N_IES; i++) {
            const struct ie *e = &ies[i];
            uint16_t id = v6 ? e->id6 : e->id4;
            put16(p + n, e->pen ? (uint16_t)(id | 0x8000u) : id);
            put16(p + n + 2, v6 ? e->len6 : e->len4);
            n += 4;
            if (e->pen) {
                put32(p + n, e->pen);
                n += 4;
            }
        }
    }
    put16(p, 2); /* Set ID 2: Template Set */
    put16(p + 2, (uint16_t)n);
    return n;
}

/* ---- messages ---- */

static void
close_set(struct rs_ipfix *x)
{
    if (x->set_off) {
        put16(x->msg + x->set_off + 2, (uint16_t)(x->len - x->set_off));
        x->set_off = 0;
    }
}

static int
templates_due(const struct rs_ipfix *x, rs_time_ns now)
{
    if (!x->templates_sent)
        return 1;
    if (x->transport == RS_IPFIX_TCP)
        return 0;
    if (x->msgs_since_templates >= x->opts.refresh_messages)
        return 1;
    return now - x->templates_at >= (rs_time_ns)x->opts.refresh_seconds * RS_NS_PER_SEC;
}

/* Starts a message; with the templates when they are due. */
static void
begin_message(struct rs_ipfix *x, rs_time_ns now)
{
    x->len = MSG_HEADER;
    x->set_off = 0;
    x->msg_records = 0;
    if (templates_due(x, now)) {
        x->len += encode_templates(x->msg + x->len);
        x->templates_sent = 1;
        x->templates_at = now;
        x->msgs_since_templates = 0;
        x->st.templates++;
    } else {
        x->msgs_since_templates++;
    }
}

/* Sends the message being built (a header and at least one set). */
static int
send_message(struct rs_ipfix *x, rs_time_ns now)
{
    if (x->len == 0)
        return x->failed ? RS_ERR_OUTPUT : 0;
    close_set(x);
    uint8_t *m = x->msg;
    put16(m, 10); /* Version 10: IPFIX */
    put16(m + 2, (uint16_t)x->len);
    put32(m + 4, (uint32_t)(now / RS_NS_PER_SEC));
    put32(m + 8, (uint32_t)x->seq); /* modulo 2^32 (§3.1) */
    put32(m + 12, x->opts.domain_id);
    size_t len = x->len;
    uint32_t recs = x->msg_records;
    x->len = 0;
    x->seq += recs;
    if (x->failed) {
        x->st.lost_messages++;
        x->st.lost_records += recs;
        return RS_ERR_OUTPUT;
    }
    struct rs_error e = {0};
    int rc = x->send(m, len, x->user, &e);
    x->st.messages++;
    x->st.bytes += len;
    if (rc == 0)
        return 0;
    x->st.lost_messages++;
    x->st.lost_records += recs;
    if (!x->first_error.msg[0])
        x->first_error = e;
    if (x->transport == RS_IPFIX_TCP) {
        x->failed = 1;
        return RS_ERR_OUTPUT;
    }
    return 0;
}

int
rs_ipfix_write(struct rs_ipfix *x, const struct rs_record *r)
{
    x->st.records++;
    if (x->failed) {
        x->st.lost_records++;
        return RS_ERR_OUTPUT;
    }
    rs_time_ns now = now_ns(x);
    int v6 = !rs_addr_is_v4(&r->client) || !rs_addr_is_v4(&r->server);
    uint16_t tid = v6 ? RS_IPFIX_TEMPLATE_V6 : RS_IPFIX_TEMPLATE_V4;
    uint8_t rec[2048];
    size_t n = encode_record(r, v6, rec);
    for (int tries = 0; tries < 3; tries++) {
        if (x->len == 0)
            begin_message(x, now);
        size_t need = n + (x->set_off && x->set_tid == tid ? 0 : SET_HEADER);
        if (need <= x->opts.max_message - x->len) {
            if (!(x->set_off && x->set_tid == tid)) {
                close_set(x);
                x->set_off = x->len;
                x->set_tid = tid;
                put16(x->msg + x->len, tid);
                x->len += SET_HEADER;
            }
            memcpy(x->msg + x->len, rec, n);
            x->len += n;
            x->msg_records++;
            if (x->opts.stream)
                return send_message(x, now);
            return 0;
        }
        /* Full (or only the templates fit): send what is there, go on in a
         * new message. max_message >= RS_IPFIX_MIN_MESSAGE guarantees that a
         * record fits in a message of its own. */
        if (send_message(x, now) != 0 && x->failed) {
            x->st.lost_records++;
            return RS_ERR_OUTPUT;
        }
    }
    return RS_ERR_INTERNAL;
}

void
rs_ipfix_on_record(const struct rs_record *r, void *user)
{
    (void)rs_ipfix_write(user, r);
}

int
rs_ipfix_flush(struct rs_ipfix *x)
{
    if (x->len == 0 || x->msg_records == 0)
        return x->failed ? RS_ERR_OUTPUT : 0;
    return send_message(x, now_ns(x));
}

void
rs_ipfix_stats(const struct rs_ipfix *x, struct rs_ipfix_stats *out)
{
    *out = x->st;
}

struct rs_ipfix *
rs_ipfix_new(enum rs_ipfix_transport transport, const struct rs_ipfix_opts *opts,
             rs_ipfix_send_fn send, void *user, struct rs_error *err)
{
    struct rs_ipfix_opts o = {0};
    if (opts)
        o = *opts;
    if (transport != RS_IPFIX_UDP && transport != RS_IPFIX_TCP) {
        rs_error_set(err, RS_ERR_USAGE, "IPFIX: unknown transport %d", (int)transport);
        return NULL;
    }
    if (!o.max_message)
        o.max_message = transport == RS_IPFIX_UDP ? DEFAULT_UDP_MESSAGE : DEFAULT_TCP_MESSAGE;
    if (!o.refresh_messages)
        o.refresh_messages = 20;
    if (!o.refresh_seconds)
        o.refresh_seconds = 60;
    if (o.max_message < RS_IPFIX_MIN_MESSAGE || o.max_message > 65535) {
        rs_error_set(err, RS_ERR_USAGE, "IPFIX message size %zu: must be %d to 65535 bytes",
                     o.max_message, RS_IPFIX_MIN_MESSAGE);
        return NULL;
    }
    /* The guarantee rs_ipfix_write relies on (and the template set fits). */
    if (MSG_HEADER + SET_HEADER + max_record_len() > RS_IPFIX_MIN_MESSAGE ||
        MSG_HEADER + templates_len() > RS_IPFIX_MIN_MESSAGE) {
        rs_error_set(err, RS_ERR_INTERNAL, "IPFIX: a record can exceed the smallest message");
        return NULL;
    }
    struct rs_ipfix *x = calloc(1, sizeof *x);
    if (x)
        x->msg = malloc(o.max_message);
    if (!x || !x->msg) {
        free(x);
        rs_error_set(err, RS_ERR_NOMEM, "IPFIX: out of memory");
        return NULL;
    }
    x->transport = transport;
    x->opts = o;
    x->send = send;
    x->user = user;
    x->fd = -1;
    snprintf(x->target, sizeof x->target, "collector");
    return x;
}

int
rs_ipfix_close(struct rs_ipfix *x, struct rs_error *err)
{
    if (!x)
        return 0;
    rs_ipfix_flush(x);
    int rc = 0;
    if (x->st.lost_records) {
        rc = rs_error_set(
            err, RS_ERR_OUTPUT, "IPFIX to %s: %llu of %llu records not sent (%llu messages)%s%s",
            x->target, (unsigned long long)x->st.lost_records, (unsigned long long)x->st.records,
            (unsigned long long)x->st.lost_messages, x->first_error.msg[0] ? ": " : "",
            x->first_error.msg);
    }
    if (x->fd >= 0)
        close(x->fd);
    free(x->msg);
    free(x);
    return rc;
}
