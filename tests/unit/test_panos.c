/*
 * test_panos.c - the PAN-OS vocabulary (App-ID names, protocols, end
 * reasons, times) and the `--format=panos` writer: 75 fields in PAN-OS 9.1
 * order, each value where PAN-OS puts it, subtype/action/session ID for
 * allowed and policy-denied sessions, IPv6, ICMP, quoting, and every line
 * read back by the log reader to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/output.h>
#include <rstscope/panlog.h>
#include <rstscope/record.h>

static const rs_time_ns T0 = INT64_C(1700000000123456000); /* 2023-11-14 22:13:20.123456 UTC */

static void
rec_v4(struct rs_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = 42;
    snprintf(r->uid, sizeof r->uid, "CHhAvVGS1DHFjwGM9");
    r->ts = T0;
    r->end_ts = T0 + INT64_C(75900000000); /* 75.9 s */
    r->proto = 6;
    assert_int_equal(rs_addr_parse(&r->client, "10.1.2.3"), 0);
    assert_int_equal(rs_addr_parse(&r->server, "198.51.100.7"), 0);
    r->client_port = 53246;
    r->server_port = 80;
    r->end_reason = RS_END_RST_SERVER;
    snprintf(r->app, sizeof r->app, "http");
    r->client_pkts = 4;
    r->client_ip_bytes = 604;
    r->server_pkts = 3;
    r->server_ip_bytes = 1320;
    r->first_flags = 0x02;
}

/* Writes one record with the panos writer; returns the line (malloc'd). */
static char *
write_one(const struct rs_record *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct rs_error err = {0};
    struct rs_writer *w = rs_writer_open(RS_FMT_PANOS, f, NULL, &err);
    assert_non_null(w);
    assert_int_equal(rs_writer_write(w, r), 0);
    assert_int_equal(rs_writer_close(w, 0, &err), 0);
    fclose(f);
    return buf;
}

/* Splits at commas (the test lines have no quoted fields unless asked). */
static size_t
split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void
test_vocabulary(void **state)
{
    (void)state;
    char b[64];
    static const char *const pairs[][2] = {
        {"http", "web-browsing"},
        {"ssl", "ssl"},
        {"dns", "dns"},
        {"dns-base", "dns"},
        {"DNS-Base", "dns"},
        {"smtp,ssl", "smtp"},
        {"smtp-base", "smtp"},
        {"rdp", "ms-rdp"},
        {"smb", "ms-ds-smb"},
        {"ms-ds-smb-base", "ms-ds-smb"},
        {"krb", "kerberos"},
        {"krb_tcp", "kerberos"},
        {"ldap_tcp,krb,gssapi", "ldap"},
        {"postgresql", "postgres"},
        {"syslog_tcp", "syslog"},
        {"snmpv2", "snmp"},
        {"incomplete", "incomplete"},
        {"not-applicable", "not-applicable"},
        {"google-base", "google"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        rs_panos_app_canon(pairs[i][0], strlen(pairs[i][0]), b, sizeof b);
        assert_string_equal(b, pairs[i][1]);
    }
    assert_true(rs_panos_app_is_state("insufficient-data"));
    assert_true(rs_panos_app_is_state("not-applicable"));
    assert_false(rs_panos_app_is_state("ssl"));
    assert_true(rs_panos_app_known("web-browsing"));
    assert_false(rs_panos_app_known("facebook"));

    struct rs_record r;
    rec_v4(&r);
    r.app[0] = '\0';
    r.proto = 1;
    r.client_port = 8;
    rs_panos_app(&r, b, sizeof b);
    assert_string_equal(b, "ping");
    r.client_port = 3;
    rs_panos_app(&r, b, sizeof b);
    assert_string_equal(b, "icmp");
    r.proto = 58;
    rs_panos_app(&r, b, sizeof b);
    assert_string_equal(b, "ipv6-icmp");
    r.proto = 47;
    rs_panos_app(&r, b, sizeof b);
    assert_string_equal(b, "gre");
    r.proto = 200;
    rs_panos_app(&r, b, sizeof b);
    assert_string_equal(b, "unknown");

    assert_string_equal(rs_panos_proto_name(6), "tcp");
    assert_string_equal(rs_panos_proto_name(58), "ipv6-icmp");
    assert_null(rs_panos_proto_name(200));
    assert_int_equal(rs_panos_proto_parse("udp", 3), 17);
    assert_int_equal(rs_panos_proto_parse("132", 3), 132);
    assert_int_equal(rs_panos_proto_parse("256", 3), -1);
    assert_int_equal(rs_panos_proto_parse("tcpx", 4), -1);
    assert_int_equal(rs_panos_proto_parse("", 0), -1);
    assert_string_equal(rs_panos_end_reason(RS_END_OPEN), "unknown");
    assert_string_equal(rs_panos_end_reason(RS_END_POLICY_DENY), "policy-deny");
}

static void
test_times(void **state)
{
    (void)state;
    char b[32];
    assert_int_equal(rs_panos_time_format(T0, b, sizeof b), 19);
    assert_string_equal(b, "2023/11/14 22:13:20");
    assert_int_equal(rs_panos_time_format(T0, b, 19), 0);
    rs_time_ns t;
    int z;
    assert_int_equal(rs_panos_time_parse("2023/11/14 22:13:20", 19, &t, &z), 0);
    assert_int_equal(t, T0 / RS_NS_PER_SEC * RS_NS_PER_SEC);
    assert_int_equal(z, 0);
    const char *iso = "2023-11-14T23:13:20.5+01:00";
    assert_int_equal(rs_panos_time_parse(iso, strlen(iso), &t, &z), 0);
    assert_int_equal(t, T0 / RS_NS_PER_SEC * RS_NS_PER_SEC + 500000000);
    assert_int_equal(z, 1);
    iso = "2020-10-12T19:56:14.000000Z";
    assert_int_equal(rs_panos_time_parse(iso, strlen(iso), &t, &z), 0);
    assert_int_equal(t, INT64_C(1602532574) * RS_NS_PER_SEC);
    assert_int_equal(z, 1);
    iso = " 1999/12/31 23:59:59 ";
    assert_int_equal(rs_panos_time_parse(iso, strlen(iso), &t, &z), 0);
    assert_int_equal(t, INT64_C(946684799) * RS_NS_PER_SEC);
    static const char *const bad[] = {
        "",
        "2023/11/14",
        "2023/13/14 22:13:20",
        "2023/11/14 24:13:20",
        "2023/11/14 22:13:2",
        "2023-11/14 22:13:20",
        "2023/11/14 22:13:20x",
        "2023/11/14T22:13:20.",
        "2023-11-14T22:13:20+1",
        "abcd/11/14 22:13:20",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rs_panos_time_parse(bad[i], strlen(bad[i]), &t, &z), -1);
    /* every prefix of a good time is handled (and rejected) */
    const char *good = "2023-11-14T23:13:20.5+01:00";
    for (size_t n = 0; n < strlen(good); n++)
        (void)rs_panos_time_parse(good, n, &t, &z);
}

static void
test_writer_allowed(void **state)
{
    (void)state;
    struct rs_record r;
    rec_v4(&r);
    char *line = write_one(&r);
    char *f[100] = {0};
    size_t n = split(line, f, 100);
    assert_int_equal(n, 75);
    assert_string_equal(f[0], "1");
    assert_string_equal(f[1], "2023/11/14 22:14:36"); /* receive = last packet */
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "TRAFFIC");
    assert_string_equal(f[4], "end");
    assert_string_equal(f[6], "2023/11/14 22:14:36");
    assert_string_equal(f[7], "10.1.2.3");
    assert_string_equal(f[8], "198.51.100.7");
    assert_string_equal(f[9], "0.0.0.0");
    assert_string_equal(f[10], "0.0.0.0");
    assert_string_equal(f[11], "");
    assert_string_equal(f[14], "web-browsing");
    assert_string_equal(f[22], "42");
    assert_string_equal(f[23], "1");
    assert_string_equal(f[24], "53246");
    assert_string_equal(f[25], "80");
    assert_string_equal(f[26], "0");
    assert_string_equal(f[28], "0x0");
    assert_string_equal(f[29], "tcp");
    assert_string_equal(f[30], "allow");
    assert_string_equal(f[31], "1924");
    assert_string_equal(f[32], "604");
    assert_string_equal(f[33], "1320");
    assert_string_equal(f[34], "7");
    assert_string_equal(f[35], "2023/11/14 22:13:20");
    assert_string_equal(f[36], "75");
    assert_string_equal(f[37], "any");
    assert_string_equal(f[39], "42");
    assert_string_equal(f[41], "10.0.0.0-10.255.255.255");
    assert_string_equal(f[42], "");
    assert_string_equal(f[44], "4");
    assert_string_equal(f[45], "3");
    assert_string_equal(f[46], "tcp-rst-from-server");
    assert_string_equal(f[53], "from-policy");
    assert_string_equal(f[60], "N/A");
    free(line);

    /* still open: PAN-OS has no such reason */
    r.end_reason = RS_END_OPEN;
    line = write_one(&r);
    assert_int_equal(split(line, f, 100), 75);
    assert_string_equal(f[46], "unknown");
    free(line);
}

static void
test_writer_denied(void **state)
{
    (void)state;
    struct rs_record r;
    rec_v4(&r);
    r.end_reason = RS_END_POLICY_DENY;
    snprintf(r.app, sizeof r.app, "not-applicable");
    snprintf(r.action, sizeof r.action, "reset-both");
    snprintf(r.rule, sizeof r.rule, "block-web");
    char *line = write_one(&r);
    char *f[100] = {0};
    assert_int_equal(split(line, f, 100), 75);
    assert_string_equal(f[4], "drop");
    assert_string_equal(f[11], "block-web");
    assert_string_equal(f[14], "not-applicable");
    assert_string_equal(f[22], "0"); /* no session was installed */
    assert_string_equal(f[30], "reset-both");
    assert_string_equal(f[46], "policy-deny");
    assert_string_equal(f[53], "from-policy");
    free(line);

    /* denied after App-ID: subtype deny, the application kept */
    snprintf(r.app, sizeof r.app, "ssh");
    snprintf(r.action, sizeof r.action, "deny");
    line = write_one(&r);
    assert_int_equal(split(line, f, 100), 75);
    assert_string_equal(f[4], "deny");
    assert_string_equal(f[14], "ssh");
    assert_string_equal(f[22], "42");
    assert_string_equal(f[53], "from-application");
    free(line);
}

static void
test_writer_v6_icmp_quote(void **state)
{
    (void)state;
    struct rs_record r;
    rec_v4(&r);
    assert_int_equal(rs_addr_parse(&r.client, "2001:db8::1"), 0);
    assert_int_equal(rs_addr_parse(&r.server, "2001:db8::53"), 0);
    r.proto = 58;
    r.client_port = 128;
    r.server_port = 129;
    r.app[0] = '\0';
    char *line = write_one(&r);
    char *f[100] = {0};
    assert_int_equal(split(line, f, 100), 75);
    assert_string_equal(f[7], "2001:db8::1");
    assert_string_equal(f[9], "::");
    assert_string_equal(f[14], "ipv6-icmp");
    assert_string_equal(f[24], "0"); /* ICMP has no ports in PAN-OS logs */
    assert_string_equal(f[25], "0");
    assert_string_equal(f[28], "0x2000000");
    assert_string_equal(f[29], "ipv6-icmp");
    assert_string_equal(f[41], "");
    free(line);

    /* a rule name with a comma and a quote is quoted as PAN-OS does */
    rec_v4(&r);
    snprintf(r.rule, sizeof r.rule, "a,b\"c");
    line = write_one(&r);
    assert_non_null(strstr(line, ",\"a,b\"\"c\","));
    struct rs_panlog_entry e;
    struct rs_error why = {0};
    assert_int_equal(rs_panlog_parse_line(line, strlen(line), 1, &e, &why), RS_PANLOG_ENTRY);
    assert_string_equal(e.rule, "a,b\"c");
    assert_int_equal(e.nfields, 75);
    free(line);
}

/* Every record shape written and read back gives the same values. */
static void
test_round_trip(void **state)
{
    (void)state;
    static const enum rs_end_reason ends[] = {
        RS_END_OPEN,      RS_END_TCP_FIN,  RS_END_RST_CLIENT, RS_END_RST_SERVER,
        RS_END_TCP_REUSE, RS_END_AGED_OUT, RS_END_POLICY_DENY};
    static const char *const apps[] = {"http", "dns", "smtp,ssl", "incomplete", "unknown-udp", ""};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        for (size_t k = 0; k < sizeof apps / sizeof apps[0]; k++) {
            struct rs_record r;
            rec_v4(&r);
            r.end_reason = ends[i];
            snprintf(r.app, sizeof r.app, "%s", apps[k]);
            if (k == 1) {
                r.proto = 17;
                assert_int_equal(rs_addr_parse(&r.client, "2001:db8::9"), 0);
                assert_int_equal(rs_addr_parse(&r.server, "2001:db8::53"), 0);
            }
            char *line = write_one(&r);
            struct rs_panlog_entry e;
            struct rs_error why = {0};
            assert_int_equal(rs_panlog_parse_line(line, strlen(line), 9, &e, &why),
                             RS_PANLOG_ENTRY);
            assert_int_equal(e.line, 9);
            assert_int_equal(e.proto, r.proto);
            assert_memory_equal(e.src.b, r.client.b, 16);
            assert_memory_equal(e.dst.b, r.server.b, 16);
            assert_int_equal(e.sport, r.client_port);
            assert_int_equal(e.dport, r.server_port);
            assert_false(e.has_nat_src);
            assert_false(e.has_nat_dst);
            assert_int_equal(e.start, r.ts / RS_NS_PER_SEC * RS_NS_PER_SEC);
            assert_false(e.start_zoned);
            assert_int_equal(e.elapsed_s, 75);
            assert_true(e.has_counts);
            assert_int_equal(e.pkts_sent, r.client_pkts);
            assert_int_equal(e.pkts_recv, r.server_pkts);
            assert_int_equal(e.bytes_sent, r.client_ip_bytes);
            assert_int_equal(e.bytes_recv, r.server_ip_bytes);
            assert_string_equal(e.end_reason, rs_panos_end_reason(r.end_reason));
            char app[32], canon[64];
            rs_panos_app(&r, app, sizeof app);
            rs_panos_app_canon(e.app, strlen(e.app), canon, sizeof canon);
            assert_string_equal(canon, app);
            assert_string_equal(e.action, "allow");
            free(line);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary),           cmocka_unit_test(test_times),
        cmocka_unit_test(test_writer_allowed),       cmocka_unit_test(test_writer_denied),
        cmocka_unit_test(test_writer_v6_icmp_quote), cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
