/*
 * test_appid.c - App-ID: every dissector on real-shaped first messages, the
 * names it extracts, the registry's per-session look (reassembly of a split
 * ClientHello, server-first protocols, STARTTLS, limits), random bytes that
 * must match nothing, and the truncation sweep: every prefix of every
 * payload here, shown to every dissector, must not crash (run under SAN=1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/appid.h>

#define TCP 6
#define UDP 17

static const uint16_t P_ANY[2] = {40001, 40002};

/* ---- message builders ---- */

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}
static void
u8(struct buf *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}
static void
be16(struct buf *b, unsigned v)
{
    u8(b, v >> 8);
    u8(b, v);
}
static void
be24(struct buf *b, unsigned v)
{
    u8(b, v >> 16);
    be16(b, v & 0xffff);
}
static void
str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* A TLS 1.3-style ClientHello record with SNI, ALPN and supported_versions,
 * `pad` bytes of padding extension to make it as large as real ones. */
static void
client_hello(struct buf *out, const char *sni, size_t pad)
{
    struct buf ext = {.n = 0}, body = {.n = 0};
    size_t sl = strlen(sni);
    be16(&ext, 0x0a0a); /* GREASE */
    be16(&ext, 0);
    be16(&ext, 0); /* server_name */
    be16(&ext, (unsigned)(sl + 5));
    be16(&ext, (unsigned)(sl + 3));
    u8(&ext, 0);
    be16(&ext, (unsigned)sl);
    str(&ext, sni);
    be16(&ext, 16); /* ALPN: h2, http/1.1 */
    be16(&ext, 14);
    be16(&ext, 12);
    u8(&ext, 2);
    str(&ext, "h2");
    u8(&ext, 8);
    str(&ext, "http/1.1");
    be16(&ext, 43); /* supported_versions: GREASE, 1.3, 1.2 */
    be16(&ext, 7);
    u8(&ext, 6);
    be16(&ext, 0x1a1a);
    be16(&ext, 0x0304);
    be16(&ext, 0x0303);
    if (pad) {
        be16(&ext, 21); /* padding */
        be16(&ext, (unsigned)pad);
        for (size_t i = 0; i < pad; i++)
            u8(&ext, 0);
    }
    be16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&body, (unsigned)(i * 7));
    u8(&body, 32);
    for (int i = 0; i < 32; i++)
        u8(&body, (unsigned)i);
    be16(&body, 4);
    be16(&body, 0x1301);
    be16(&body, 0x1302);
    u8(&body, 1);
    u8(&body, 0);
    be16(&body, (unsigned)ext.n);
    put(&body, ext.b, ext.n);
    u8(out, 22);
    be16(out, 0x0301);
    be16(out, (unsigned)(body.n + 4));
    u8(out, 1);
    be24(out, (unsigned)body.n);
    put(out, body.b, body.n);
}

static void
server_hello(struct buf *out)
{
    struct buf body = {.n = 0};
    be16(&body, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&body, 0x55);
    u8(&body, 0);
    be16(&body, 0x1301);
    u8(&body, 0);
    be16(&body, 6);
    be16(&body, 43);
    be16(&body, 2);
    be16(&body, 0x0304);
    u8(out, 22);
    be16(out, 0x0303);
    be16(out, (unsigned)(body.n + 4));
    u8(out, 2);
    be24(out, (unsigned)body.n);
    put(out, body.b, body.n);
}

/* ---- fixed messages (shaped after real captures) ---- */

static const char http_req[] = "GET /index.html HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\n"
                               "Host: www.example.org:8080\r\nAccept: */*\r\n\r\n";
static const char http_resp[] = "HTTP/1.1 301 Moved Permanently\r\nLocation: /\r\n\r\n";
static const char ssh_banner[] = "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n";
static const char smtp_greet[] = "220 mx.example.org ESMTP Postfix (Ubuntu)\r\n";
static const char smtp_ehlo[] = "EHLO client.example.org\r\n";
static const char ftp_greet[] = "220 (vsFTPd 3.0.5)\r\n";
static const char plain_220[] = "220 Service ready\r\n";
static const char ftp_user[] = "USER anonymous\r\n";
static const char pop3_greet[] = "+OK Dovecot (Ubuntu) ready.\r\n";
static const char imap_greet[] =
    "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.\r\n";
static const char imap_cmd[] = "a001 CAPABILITY\r\n";
static const char sip_invite[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                                 "Via: SIP/2.0/UDP pc33.atlanta.example.com\r\n\r\n";
static const char sip_resp[] = "SIP/2.0 180 Ringing\r\nVia: x\r\n\r\n";
static const char rtsp_req[] = "OPTIONS rtsp://10.0.0.5:554/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n";
static const char rtsp_resp[] = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";
static const char syslog_udp[] = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed";
static const char syslog_tcp[] = "97 <165>1 2003-10-11T22:14:15.003Z host app - ID47 - message";
static const char redis_cmd[] = "*1\r\n$4\r\nPING\r\n";
static const char irc_nick[] = "NICK alice\r\nUSER alice 0 * :Alice\r\n";
static const char irc_notice[] = ":irc.example.net NOTICE * :*** Looking up your hostname...\r\n";
static const uint8_t dns_query[] = {0x1a, 0x2b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',
                                    'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',
                                    'm',  0x00, 0x00, 0x01, 0x00, 0x01};
static const uint8_t dns_reply[] = {0x1a, 0x2b, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
                                    0x00, 0x00, 0x03, 'w',  'w',  'w',  0x07, 'e',  'x',  'a',
                                    'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',  0x00, 0x00,
                                    0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
                                    0x00, 0x0e, 0x10, 0x00, 0x04, 93,   184,  216,  34};
static const uint8_t rdp_cr[] = {0x03, 0x00, 0x00, 0x2b, 0x26, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 'C',  'o',  'o',  'k',  'i',  'e',  ':',  ' ',  'm',  's',  't',
                                 's',  'h',  'a',  's',  'h',  '=',  'u',  's',  'e',  'r',  '\r',
                                 '\n', 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00};
static const uint8_t smb2_neg[] = {0x00, 0x00, 0x00, 0x66, 0xfe, 'S',  'M',  'B',  0x40,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
/* LDAP bindRequest: messageID 1, version 3, name "", simple "" */
static const uint8_t ldap_bind[] = {0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07,
                                    0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00};
/* Kerberos AS-REQ over UDP: [APPLICATION 10] SEQUENCE { [1] pvno 5, [2] msg-type 10, ... } */
static const uint8_t krb_asreq[] = {0x6a, 0x12, 0x30, 0x10, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2,
                                    0x03, 0x02, 0x01, 0x0a, 0xa4, 0x04, 0x30, 0x02, 0x05, 0x00};
/* SNMPv2c get-request, community "public" */
static const uint8_t snmp_get[] = {0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p',  'u',  'b',
                                   'l',  'i',  'c',  0xa0, 0x19, 0x02, 0x04, 0x12, 0x34, 0x56,
                                   0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x30,
                                   0x09, 0x06, 0x05, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x05, 0x00};
static const uint8_t mysql_greet[] = {0x4a, 0x00, 0x00, 0x00, 0x0a, '8',  '.',  '0',  '.',
                                      '3',  '6',  0x00, 0x08, 0x00, 0x00, 0x00, 0x11, 0x22,
                                      0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x00, 0xff, 0xff};
static const uint8_t pg_startup[] = {0x00, 0x00, 0x00, 0x17, 0x00, 0x03, 0x00, 0x00,
                                     'u',  's',  'e',  'r',  0x00, 'p',  'o',  's',
                                     't',  'g',  'r',  'e',  's',  0x00, 0x00};
static const uint8_t pg_sslreq[] = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};
static const uint8_t mqtt_connect[] = {0x10, 0x10, 0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04,
                                       0x02, 0x00, 0x3c, 0x00, 0x04, 'd', 'e', 'v', '1'};
static const uint8_t bgp_open[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04,
                                   0xfd, 0xe8, 0x00, 0xb4, 0x0a, 0x00, 0x00, 0x01, 0x00};
static const uint8_t telnet_neg[] = {0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23};
static const uint8_t ntp_client[48] = {0x23, 0x00, 0x06, 0xec};
static const uint8_t modbus_req[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06,
                                     0x01, 0x03, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t vxlan_pkt[8 + 14 + 20] = {0x08, 0, 0, 0, 0, 0, 0x2a, 0};
static const uint8_t geneve_pkt[8 + 14] = {0x00, 0x00, 0x65, 0x58, 0, 0, 0x2a, 0};
static const uint8_t ayiya_pkt[8 + 16 + 40] = {0x41, 0x52, 0x11, 41, 0x5f, 0x00, 0x00, 0x01};

static uint8_t dhcp_discover[300];
static uint8_t quic_initial[1252];
static uint8_t quic_v2_initial[1200];
static uint8_t quic_server[120];
static uint8_t bt_handshake[68];
static struct buf tls_ch, tls_sh;

static void
build_fixtures(void)
{
    memset(dhcp_discover, 0, sizeof dhcp_discover);
    dhcp_discover[0] = 1;
    dhcp_discover[1] = 1;
    dhcp_discover[2] = 6;
    dhcp_discover[236] = 99;
    dhcp_discover[237] = 130;
    dhcp_discover[238] = 83;
    dhcp_discover[239] = 99;
    dhcp_discover[240] = 53;
    dhcp_discover[241] = 1;
    dhcp_discover[242] = 1;
    dhcp_discover[243] = 255;
    /* QUIC v1 client Initial: 0xc3, version 1, DCID 8, SCID 0, token 0, length */
    memset(quic_initial, 0x5a, sizeof quic_initial);
    const uint8_t qh[] = {0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x44, 0xd0};
    memcpy(quic_initial, qh, sizeof qh);
    memcpy(quic_v2_initial, qh, sizeof qh);
    quic_v2_initial[0] = 0xd3; /* v2: Initial is type 1 */
    quic_v2_initial[1] = 0x6b;
    quic_v2_initial[2] = 0x33;
    quic_v2_initial[3] = 0x43;
    quic_v2_initial[4] = 0xcf;
    const uint8_t qs[] = {0xe1, 0, 0, 0, 1, 0, 8, 9, 9, 9, 9, 9, 9, 9, 9};
    memset(quic_server, 0x11, sizeof quic_server);
    memcpy(quic_server, qs, sizeof qs);
    static const char bt[] = "\x13"
                             "BitTorrent protocol";
    memcpy(bt_handshake, bt, sizeof bt - 1);
    tls_ch.n = tls_sh.n = 0;
    client_hello(&tls_ch, "www.example.com", 1500);
    server_hello(&tls_sh);
}

struct sample {
    const char *what;
    enum rs_app app;
    uint8_t l4;
    int side;
    uint16_t port[2];
    const uint8_t *p;
    size_t n;
};

#define S(p) (const uint8_t *)(p), sizeof(p) - 1
#define B(p) (const uint8_t *)(p), sizeof(p)

static struct sample samples[64];
static size_t n_samples;

static void
build_samples(void)
{
    build_fixtures();
    const struct sample s[] = {
        {"http request", RS_APP_HTTP, TCP, 0, {40001, 8080}, S(http_req)},
        {"http response", RS_APP_HTTP, TCP, 1, {40001, 80}, S(http_resp)},
        {"tls clienthello", RS_APP_SSL, TCP, 0, {40001, 443}, tls_ch.b, tls_ch.n},
        {"tls serverhello", RS_APP_SSL, TCP, 1, {40001, 8443}, tls_sh.b, tls_sh.n},
        {"dns query", RS_APP_DNS, UDP, 0, {40001, 53}, B(dns_query)},
        {"dns reply, odd port", RS_APP_DNS, UDP, 1, {40001, 9953}, B(dns_reply)},
        {"ssh banner", RS_APP_SSH, TCP, 1, {40001, 2222}, S(ssh_banner)},
        {"smtp greeting", RS_APP_SMTP, TCP, 1, {40001, 25}, S(smtp_greet)},
        {"smtp ehlo", RS_APP_SMTP, TCP, 0, {40001, 2525}, S(smtp_ehlo)},
        {"ftp greeting", RS_APP_FTP, TCP, 1, {40001, 21}, S(ftp_greet)},
        {"pop3 greeting", RS_APP_POP3, TCP, 1, {40001, 110}, S(pop3_greet)},
        {"imap greeting", RS_APP_IMAP, TCP, 1, {40001, 143}, S(imap_greet)},
        {"imap command", RS_APP_IMAP, TCP, 0, {40001, 1143}, S(imap_cmd)},
        {"quic v1 initial", RS_APP_QUIC, UDP, 0, {40001, 443}, B(quic_initial)},
        {"quic v2 initial", RS_APP_QUIC, UDP, 0, {40001, 4443}, B(quic_v2_initial)},
        {"quic server handshake", RS_APP_QUIC, UDP, 1, {40001, 443}, B(quic_server)},
        {"ntp client", RS_APP_NTP, UDP, 0, {40001, 123}, B(ntp_client)},
        {"dhcp discover", RS_APP_DHCP, UDP, 0, {68, 67}, B(dhcp_discover)},
        {"sip invite udp", RS_APP_SIP, UDP, 0, {5060, 5060}, S(sip_invite)},
        {"sip response tcp", RS_APP_SIP, TCP, 1, {40001, 5060}, S(sip_resp)},
        {"rdp connection request", RS_APP_RDP, TCP, 0, {40001, 3390}, B(rdp_cr)},
        {"smb2 negotiate", RS_APP_SMB, TCP, 0, {40001, 445}, B(smb2_neg)},
        {"ldap bind", RS_APP_LDAP, TCP, 0, {40001, 389}, B(ldap_bind)},
        {"cldap bind", RS_APP_LDAP, UDP, 0, {40001, 389}, B(ldap_bind)},
        {"kerberos as-req", RS_APP_KRB, UDP, 0, {40001, 88}, B(krb_asreq)},
        {"snmp get", RS_APP_SNMP, UDP, 0, {40001, 161}, B(snmp_get)},
        {"syslog udp", RS_APP_SYSLOG, UDP, 0, {40001, 514}, S(syslog_udp)},
        {"syslog tcp octet-counted", RS_APP_SYSLOG, TCP, 0, {40001, 6514}, S(syslog_tcp)},
        {"mysql greeting", RS_APP_MYSQL, TCP, 1, {40001, 3306}, B(mysql_greet)},
        {"postgresql startup", RS_APP_POSTGRESQL, TCP, 0, {40001, 5433}, B(pg_startup)},
        {"postgresql sslrequest", RS_APP_POSTGRESQL, TCP, 0, {40001, 5432}, B(pg_sslreq)},
        {"redis command", RS_APP_REDIS, TCP, 0, {40001, 6380}, S(redis_cmd)},
        {"mqtt connect", RS_APP_MQTT, TCP, 0, {40001, 1883}, B(mqtt_connect)},
        {"bittorrent handshake", RS_APP_BITTORRENT, TCP, 0, {40001, 51413}, B(bt_handshake)},
        {"bgp open", RS_APP_BGP, TCP, 0, {40001, 179}, B(bgp_open)},
        {"telnet negotiation", RS_APP_TELNET, TCP, 1, {40001, 2323}, B(telnet_neg)},
        {"rtsp options", RS_APP_RTSP, TCP, 0, {40001, 554}, S(rtsp_req)},
        {"rtsp response", RS_APP_RTSP, TCP, 1, {40001, 554}, S(rtsp_resp)},
        {"vxlan", RS_APP_VXLAN, UDP, 0, {40001, 4789}, B(vxlan_pkt)},
        {"geneve", RS_APP_GENEVE, UDP, 0, {40001, 6081}, B(geneve_pkt)},
        {"ayiya", RS_APP_AYIYA, UDP, 0, {40001, 5072}, B(ayiya_pkt)},
        {"modbus read", RS_APP_MODBUS, TCP, 0, {40001, 502}, B(modbus_req)},
        {"irc registration", RS_APP_IRC, TCP, 0, {40001, 6697}, S(irc_nick)},
        {"irc server notice", RS_APP_IRC, TCP, 1, {40001, 6667}, S(irc_notice)},
    };
    n_samples = sizeof s / sizeof s[0];
    assert_true(n_samples <= sizeof samples / sizeof samples[0]);
    memcpy(samples, s, sizeof s);
}

static int
setup(void **state)
{
    (void)state;
    build_samples();
    return 0;
}

/* ---- dissectors one by one ---- */

static void
test_each_dissector_matches(void **state)
{
    (void)state;
    for (size_t i = 0; i < n_samples; i++) {
        const struct sample *s = &samples[i];
        struct rs_appid_info info;
        memset(&info, 0, sizeof info);
        enum rs_app got = RS_APP_NONE;
        enum rs_appid_verdict v =
            rs_appid_dissect(s->app, s->p, s->n, s->l4, s->side, s->port, &info, &got);
        if (v != RS_APPID_MATCH)
            fail_msg("%s: dissector said %d", s->what, (int)v);
        /* The whole registry, in its order, names the same protocol. */
        v = rs_appid_dissect(RS_APP_NONE, s->p, s->n, s->l4, s->side, s->port, NULL, &got);
        if (v != RS_APPID_MATCH || got != s->app)
            fail_msg("%s: registry said %d / %s", s->what, (int)v, rs_app_name(got, s->l4));
    }
}

static void
test_names(void **state)
{
    (void)state;
    struct rs_appid_info info;
    memset(&info, 0, sizeof info);
    const uint16_t p443[2] = {40001, 443}, p80[2] = {40001, 80};
    assert_int_equal(rs_appid_dissect(RS_APP_SSL, tls_ch.b, tls_ch.n, TCP, 0, p443, &info, NULL),
                     RS_APPID_MATCH);
    assert_string_equal(rs_appid_info_sni(&info), "www.example.com");
    assert_string_equal(info.alpn, "h2,http/1.1");
    assert_int_equal(info.tls_version, 0x0304); /* GREASE skipped */
    memset(&info, 0, sizeof info);
    assert_int_equal(rs_appid_dissect(RS_APP_HTTP, (const uint8_t *)http_req, strlen(http_req), TCP,
                                      0, p80, &info, NULL),
                     RS_APPID_MATCH);
    assert_string_equal(rs_appid_info_host(&info), "www.example.org:8080");
    assert_string_equal(info.http_method, "GET");
    memset(&info, 0, sizeof info);
    assert_int_equal(rs_appid_dissect(RS_APP_HTTP, (const uint8_t *)http_resp, strlen(http_resp),
                                      TCP, 1, p80, &info, NULL),
                     RS_APPID_MATCH);
    assert_int_equal(info.http_status, 301);
    memset(&info, 0, sizeof info);
    rs_appid_dissect(RS_APP_SSH, (const uint8_t *)ssh_banner, strlen(ssh_banner), TCP, 1, P_ANY,
                     &info, NULL);
    assert_string_equal(info.banner, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13");
    /* Names are printable: control bytes from the wire become '?'. */
    static const char evil[] = "GET / HTTP/1.1\r\nHost: a\x01\x7f"
                               "b\r\n\r\n";
    memset(&info, 0, sizeof info);
    rs_appid_dissect(RS_APP_HTTP, (const uint8_t *)evil, strlen(evil), TCP, 0, p80, &info, NULL);
    assert_string_equal(rs_appid_info_host(&info), "a??b");
    assert_string_equal(rs_app_name(RS_APP_LDAP, TCP), "ldap_tcp");
    assert_string_equal(rs_app_name(RS_APP_LDAP, UDP), "ldap_udp");
    assert_string_equal(rs_app_name(RS_APP_KRB, TCP), "krb_tcp");
    assert_string_equal(rs_app_name(RS_APP_SYSLOG, UDP), "syslog");
}

static void
test_near_misses(void **state)
{
    (void)state;
    const uint16_t p80[2] = {40001, 80}, p123[2] = {40001, 123};
    /* RTSP's request line is not HTTP, HTTP's is not RTSP or SIP. */
    assert_int_equal(rs_appid_dissect(RS_APP_HTTP, S(rtsp_req), TCP, 0, p80, NULL, NULL),
                     RS_APPID_NO);
    assert_int_equal(rs_appid_dissect(RS_APP_RTSP, S(http_req), TCP, 0, p80, NULL, NULL),
                     RS_APPID_NO);
    assert_int_equal(rs_appid_dissect(RS_APP_SIP, S(http_req), TCP, 0, p80, NULL, NULL),
                     RS_APPID_NO);
    /* A request line still open: wait. */
    assert_int_equal(rs_appid_dissect(RS_APP_HTTP, (const uint8_t *)"GET /very/long", 14, TCP, 0,
                                      p80, NULL, NULL),
                     RS_APPID_NEED_MORE);
    /* A bare "220" greeting is FTP or SMTP: both wait for the client. */
    assert_int_equal(rs_appid_dissect(RS_APP_FTP, S(plain_220), TCP, 1, P_ANY, NULL, NULL),
                     RS_APPID_NEED_MORE);
    assert_int_equal(rs_appid_dissect(RS_APP_SMTP, S(plain_220), TCP, 1, P_ANY, NULL, NULL),
                     RS_APPID_NEED_MORE);
    assert_int_equal(rs_appid_dissect(RS_APP_SMTP, S(ftp_greet), TCP, 1, P_ANY, NULL, NULL),
                     RS_APPID_NO);
    /* NTP needs its port; DNS off its ports must parse exactly. */
    assert_int_equal(rs_appid_dissect(RS_APP_NTP, B(ntp_client), UDP, 0, P_ANY, NULL, NULL),
                     RS_APPID_NO);
    assert_int_equal(rs_appid_dissect(RS_APP_NTP, B(ntp_client), UDP, 0, p123, NULL, NULL),
                     RS_APPID_MATCH);
    uint8_t dns_junk[sizeof dns_query + 3];
    memcpy(dns_junk, dns_query, sizeof dns_query);
    memset(dns_junk + sizeof dns_query, 0x41, 3);
    assert_int_equal(rs_appid_dissect(RS_APP_DNS, B(dns_junk), UDP, 0, P_ANY, NULL, NULL),
                     RS_APPID_NO);
    /* A short QUIC "Initial" from a client is not QUIC (RFC 9000 §14.1). */
    assert_int_equal(rs_appid_dissect(RS_APP_QUIC, quic_initial, 300, UDP, 0, P_ANY, NULL, NULL),
                     RS_APPID_NO);
    /* Redis's "+OK" reply is not a POP3 greeting. */
    assert_int_equal(
        rs_appid_dissect(RS_APP_POP3, (const uint8_t *)"+OK\r\n", 5, TCP, 1, P_ANY, NULL, NULL),
        RS_APPID_NO);
    /* TLS application data picked up mid-stream. */
    static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x04, 1,    2,
                                      3,    4,    0x17, 0x03, 0x03, 0x00, 0x10};
    assert_int_equal(rs_appid_dissect(RS_APP_SSL, B(appdata), TCP, 0, P_ANY, NULL, NULL),
                     RS_APPID_MATCH);
}

/* Random bytes must not look like any protocol (the 600-opaque-bytes case). */
static void
test_random_matches_nothing(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    uint8_t b[600];
    int hits = 0;
    for (int round = 0; round < 20000; round++) {
        for (size_t i = 0; i < sizeof b; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = (uint8_t)x;
        }
        enum rs_app got;
        for (int side = 0; side < 2; side++) {
            for (uint8_t l4 = TCP; l4 <= UDP; l4 = (uint8_t)(l4 + UDP - TCP)) {
                if (rs_appid_dissect(RS_APP_NONE, b, sizeof b, l4, side, P_ANY, NULL, &got) ==
                    RS_APPID_MATCH) {
                    print_message("random bytes matched %s (side %d): %02x %02x %02x %02x\n",
                                  rs_app_name(got, l4), side, b[0], b[1], b[2], b[3]);
                    hits++;
                }
            }
        }
    }
    assert_int_equal(hits, 0);
}

/* Every prefix of every sample, to every dissector, both sides, both
 * transports, in an exact-size heap copy so ASan sees any over-read. */
static void
test_truncation_sweep(void **state)
{
    (void)state;
    struct buf *extra = malloc(sizeof *extra);
    assert_non_null(extra);
    for (size_t i = 0; i < n_samples; i++) {
        const struct sample *s = &samples[i];
        for (size_t len = 0; len <= s->n; len++) {
            uint8_t *p = malloc(len ? len : 1);
            assert_non_null(p);
            memcpy(p, s->p, len);
            for (int app = 0; app < RS_APP__COUNT; app++) {
                for (int side = 0; side < 2; side++) {
                    struct rs_appid_info info;
                    memset(&info, 0, sizeof info);
                    rs_appid_dissect((enum rs_app)app, p, len, TCP, side, s->port, &info, NULL);
                    rs_appid_dissect((enum rs_app)app, p, len, UDP, side, s->port, &info, NULL);
                }
            }
            free(p);
        }
    }
    free(extra);
}

/* ---- the per-session look ---- */

struct session {
    struct rs_appid *a;
    struct rs_appid_flow f;
    uint32_t seq[2];
    uint16_t port[2];
    uint8_t l4;
};

static void
sess_init(struct session *s, struct rs_appid *a, uint8_t l4, uint16_t cport, uint16_t sport)
{
    memset(s, 0, sizeof *s);
    s->a = a;
    s->l4 = l4;
    s->seq[0] = 1000;
    s->seq[1] = 0xfffffff0u; /* wraps inside the first flight */
    s->port[0] = cport;
    s->port[1] = sport;
}

static void
sess_send(struct session *s, int side, const void *p, size_t n)
{
    struct rs_layer l;
    memset(&l, 0, sizeof l);
    l.proto = s->l4;
    l.payload = p;
    l.payload_len = l.payload_caplen = (uint32_t)n;
    l.u.tcp.seq = s->seq[side];
    l.u.tcp.flags = RS_TCP_ACK | RS_TCP_PSH;
    s->seq[side] += (uint32_t)n;
    if (s->f.state == RS_APPID_LOOKING)
        rs_appid_feed(s->a, &s->f, &l, side, 0, s->port);
}

static const char *
sess_app(struct session *s)
{
    static char buf[32];
    rs_appid_format(&s->f, s->l4, buf, sizeof buf);
    return buf;
}

static void
test_split_client_hello(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    sess_init(&s, a, TCP, 50000, 443);
    assert_true(tls_ch.n > 1500);
    /* three segments, the SNI in none of the first two whole */
    sess_send(&s, 0, tls_ch.b, 7);
    sess_send(&s, 0, tls_ch.b + 7, 700);
    /* a retransmission of the second segment changes nothing */
    s.seq[0] -= 700;
    sess_send(&s, 0, tls_ch.b + 7, 700);
    sess_send(&s, 0, tls_ch.b + 707, tls_ch.n - 707);
    assert_string_equal(sess_app(&s), "ssl");
    const struct rs_appid_info *info = rs_appid_info(a, &s.f);
    assert_non_null(info);
    assert_string_equal(rs_appid_info_sni(info), "www.example.com");
    assert_int_equal(s.f.state, RS_APPID_DONE);
    assert_int_equal(s.f.reasm, 0); /* reassembly freed as soon as decided */
    rs_appid_release(a, &s.f);
    struct rs_appid_stats st;
    rs_appid_stats(a, &st);
    assert_int_equal(st.live_names, 0);
    assert_int_equal(st.live_reasm, 0);
    rs_appid_free(a);
}

static void
test_server_first_and_starttls(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    /* "220" alone: FTP or SMTP until the client speaks. */
    sess_init(&s, a, TCP, 50001, 10025);
    sess_send(&s, 1, plain_220, strlen(plain_220));
    assert_int_equal(s.f.app, RS_APP_NONE);
    sess_send(&s, 0, smtp_ehlo, strlen(smtp_ehlo));
    assert_string_equal(sess_app(&s), "smtp");
    static const char r250[] = "250-mx\r\n250 STARTTLS\r\n", st[] = "STARTTLS\r\n",
                      r220[] = "220 2.0.0 Ready\r\n";
    sess_send(&s, 1, r250, strlen(r250));
    sess_send(&s, 0, st, strlen(st));
    sess_send(&s, 1, r220, strlen(r220));
    sess_send(&s, 0, tls_ch.b, tls_ch.n);
    assert_string_equal(sess_app(&s), "smtp,ssl");
    assert_int_equal(s.f.state, RS_APPID_DONE);
    rs_appid_release(a, &s.f);

    sess_init(&s, a, TCP, 50002, 10021);
    sess_send(&s, 1, plain_220, strlen(plain_220));
    sess_send(&s, 0, ftp_user, strlen(ftp_user));
    assert_string_equal(sess_app(&s), "ftp");
    rs_appid_release(a, &s.f);
    rs_appid_free(a);
}

static void
test_http_host_in_second_segment(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    sess_init(&s, a, TCP, 50003, 80);
    sess_send(&s, 0, http_req, 40);
    assert_string_equal(sess_app(&s), "http");
    assert_int_equal(s.f.state, RS_APPID_LOOKING); /* following for Host */
    sess_send(&s, 0, http_req + 40, strlen(http_req) - 40);
    assert_int_equal(s.f.state, RS_APPID_DONE);
    assert_string_equal(rs_appid_info_host(rs_appid_info(a, &s.f)), "www.example.org:8080");
    rs_appid_release(a, &s.f);
    rs_appid_free(a);
}

static void
test_limits_and_gaps(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    uint8_t junk[300];
    memset(junk, 0xa5, sizeof junk);
    /* Opaque bytes both ways: done after the look limit, nothing matched. */
    sess_init(&s, a, TCP, 50004, 40000);
    for (int i = 0; i < 2 * RS_APPID_MAX_PKTS + 2 && s.f.state == RS_APPID_LOOKING; i++)
        sess_send(&s, i & 1, junk, sizeof junk);
    assert_int_equal(s.f.state, RS_APPID_DONE);
    assert_int_equal(s.f.app, RS_APP_NONE);
    rs_appid_release(a, &s.f);
    /* A sequence gap in the first flight ends the look at that direction. */
    sess_init(&s, a, TCP, 50005, 443);
    sess_send(&s, 0, tls_ch.b, 5);
    s.seq[0] += 100;
    sess_send(&s, 0, tls_ch.b + 105, 200);
    struct rs_appid_stats st;
    rs_appid_stats(a, &st);
    assert_true(st.reasm_gap >= 1);
    assert_int_equal(s.f.state, RS_APPID_DONE);
    rs_appid_release(a, &s.f);
    /* A reassembly store at its cap: counted, no crash, no match needed. */
    struct rs_appid *tiny = rs_appid_new(1, 1);
    struct session s1, s2;
    sess_init(&s1, tiny, TCP, 1, 443);
    sess_init(&s2, tiny, TCP, 2, 443);
    sess_send(&s1, 0, tls_ch.b, 3);
    sess_send(&s2, 0, tls_ch.b, 3);
    sess_send(&s2, 0, tls_ch.b + 3, 300);
    rs_appid_stats(tiny, &st);
    assert_int_equal(st.reasm_full, 1);
    rs_appid_release(tiny, &s1.f);
    rs_appid_release(tiny, &s2.f);
    rs_appid_release(tiny, &s2.f); /* idempotent */
    rs_appid_free(tiny);
    rs_appid_free(a);
}

/* A retransmission that overlaps the kept bytes and was cut by snaplen so
 * that none of its new bytes were captured (found by fuzz_appid). */
static void
test_snaplen_cut_overlap(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct rs_appid_flow f;
    memset(&f, 0, sizeof f);
    const uint16_t port[2] = {50010, 25};
    struct rs_layer l;
    memset(&l, 0, sizeof l);
    l.proto = TCP;
    l.u.tcp.flags = RS_TCP_ACK;
    l.u.tcp.seq = 7;
    l.payload = (const uint8_t *)smtp_greet;
    l.payload_len = l.payload_caplen = (uint32_t)strlen(smtp_greet);
    rs_appid_feed(a, &f, &l, 1, 0, port); /* matched; following for STARTTLS */
    assert_int_equal(f.app, RS_APP_SMTP);
    l.u.tcp.seq = 100;
    l.payload = (const uint8_t *)smtp_ehlo;
    l.payload_len = l.payload_caplen = 10;
    rs_appid_feed(a, &f, &l, 0, 0, port);
    uint8_t *cut = malloc(4);
    assert_non_null(cut);
    memcpy(cut, smtp_ehlo, 4);
    l.payload = cut;
    l.payload_caplen = 4; /* seq 100, 40 bytes on the wire, 4 captured */
    l.payload_len = 40;
    if (f.state == RS_APPID_LOOKING)
        rs_appid_feed(a, &f, &l, 0, 0, port);
    free(cut);
    rs_appid_release(a, &f);
    rs_appid_free(a);
}

static void
test_udp_teredo_needs_both_directions(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    uint8_t v6[40] = {0x60, 0, 0, 0, 0, 0, 59, 21};
    sess_init(&s, a, UDP, 3797, 3544);
    sess_send(&s, 1, v6, sizeof v6);
    assert_int_equal(s.f.app, RS_APP_NONE);
    sess_send(&s, 0, v6, sizeof v6);
    assert_string_equal(sess_app(&s), "teredo");
    rs_appid_release(a, &s.f);
    rs_appid_free(a);
}

static void
test_quic_names(void **state)
{
    (void)state;
    struct rs_appid *a = rs_appid_new(0, 0);
    struct session s;
    sess_init(&s, a, UDP, 50006, 443);
    sess_send(&s, 0, quic_initial, sizeof quic_initial);
    assert_string_equal(sess_app(&s), "quic,ssl");
    assert_int_equal(rs_appid_info(a, &s.f)->quic_version, 1);
    rs_appid_release(a, &s.f);
    rs_appid_free(a);
}

/* ---- FTP data-channel announcements ---- */

static void
test_ftp_expect_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int side;
        size_t n;         /* announcements found */
        int by_server;    /* of the first */
        const char *addr; /* of the first, NULL: none named */
        uint16_t port;
    } cases[] = {
        /* RFC 959 §4.1.2 / §4.2 */
        {"PORT 192,168,1,2,7,138\r\n", 0, 1, 1, "192.168.1.2", 7 * 256 + 138},
        {"port 192,168,1,2,7,138\n", 0, 1, 1, "192.168.1.2", 1930},
        {"PORT 192, 168, 1, 2, 7, 138\r\n", 0, 1, 1, "192.168.1.2", 1930},
        {"227 Entering Passive Mode (10,0,0,5,200,10).\r\n", 1, 1, 0, "10.0.0.5", 51210},
        {"227 =10,0,0,5,200,10\r\n", 1, 1, 0, "10.0.0.5", 51210}, /* no parenthesis */
        /* RFC 2428 §2 / §3 */
        {"EPRT |1|132.235.1.2|6275|\r\n", 0, 1, 1, "132.235.1.2", 6275},
        {"EPRT |2|1080::8:800:200C:417A|5282|\r\n", 0, 1, 1, "1080::8:800:200c:417a", 5282},
        {"EPRT !1!132.235.1.2!6275!\r\n", 0, 1, 1, "132.235.1.2", 6275},
        {"229 Entering Extended Passive Mode (|||6446|)\r\n", 1, 1, 0, NULL, 6446},
        /* several lines, one announcement among them */
        {"200 Type set to I\r\n227 Passive (1,2,3,4,0,21)\r\n150 ok\r\n", 1, 1, 0, "1.2.3.4", 21},
        /* not announcements, or not well formed */
        {"PORT 192,168,1,2,7,138\r\n", 1, 0, 0, NULL, 0}, /* the server does not send PORT */
        {"227 Entering Passive Mode (10,0,0,5,200,10)\r\n", 0, 0, 0, NULL, 0},
        {"PORT 192,168,1,256,7,138\r\n", 0, 0, 0, NULL, 0},
        {"PORT 192,168,1,2,0,0\r\n", 0, 0, 0, NULL, 0}, /* port 0 */
        {"PORT 192,168,1,2,7\r\n", 0, 0, 0, NULL, 0},
        {"PORT 192,168,1,2,7,1380\r\n", 0, 0, 0, NULL, 0},
        {"PORT 192,168,1,2,7,138", 0, 0, 0, NULL, 0},    /* the line is cut */
        {"EPRT |1|1080::1|5282|\r\n", 0, 0, 0, NULL, 0}, /* family 1, IPv6 address */
        {"EPRT |3|1.2.3.4|5282|\r\n", 0, 0, 0, NULL, 0},
        {"EPRT |1|1.2.3.4|70000|\r\n", 0, 0, 0, NULL, 0},
        {"EPRT |1|1.2.3.4|5282\r\n", 0, 0, 0, NULL, 0},
        {"229 Entering Extended Passive Mode\r\n", 1, 0, 0, NULL, 0},
        {"229 (|||0|)\r\n", 1, 0, 0, NULL, 0},
        {"2270 (1,2,3,4,5,6)\r\n", 1, 0, 0, NULL, 0},
        {"", 0, 0, 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rs_ftp_expect x[4];
        size_t n = rs_ftp_expect_parse((const uint8_t *)cases[i].text, strlen(cases[i].text),
                                       cases[i].side, x, 4);
        if (n != cases[i].n)
            fail_msg("%s: %zu found, %zu wanted", cases[i].text, n, cases[i].n);
        if (n == 0)
            continue;
        assert_int_equal(x[0].by_server, cases[i].by_server);
        assert_int_equal(x[0].port, cases[i].port);
        assert_int_equal(x[0].has_addr, cases[i].addr != NULL);
        if (cases[i].addr) {
            char text[64];
            rs_addr_format(&x[0].addr, text, sizeof text);
            assert_string_equal(text, cases[i].addr);
        }
    }
    /* `max` bounds what is written; every length of a valid pair is safe. */
    const char *two = "PORT 1,2,3,4,0,20\r\nEPRT |1|1.2.3.4|21|\r\n";
    struct rs_ftp_expect x[2];
    assert_int_equal(rs_ftp_expect_parse((const uint8_t *)two, strlen(two), 0, x, 2), 2);
    assert_int_equal(x[1].port, 21);
    assert_int_equal(rs_ftp_expect_parse((const uint8_t *)two, strlen(two), 0, x, 1), 1);
    for (size_t len = 0; len <= strlen(two); len++) {
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, two, len);
        size_t n = rs_ftp_expect_parse(p, len, 0, x, 2);
        assert_int_equal(n, len >= strlen(two) ? 2 : len >= 19 ? 1 : 0);
        free(p);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_dissector_matches),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_near_misses),
        cmocka_unit_test(test_random_matches_nothing),
        cmocka_unit_test(test_truncation_sweep),
        cmocka_unit_test(test_split_client_hello),
        cmocka_unit_test(test_server_first_and_starttls),
        cmocka_unit_test(test_http_host_in_second_segment),
        cmocka_unit_test(test_limits_and_gaps),
        cmocka_unit_test(test_snaplen_cut_overlap),
        cmocka_unit_test(test_udp_teredo_needs_both_directions),
        cmocka_unit_test(test_quic_names),
        cmocka_unit_test(test_ftp_expect_parse),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
