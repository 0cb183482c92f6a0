/*
 * test_policy.c - the firewall policy emulation (policy.h): the rule file
 * syntax and its line-numbered errors, first-match lookup on addresses,
 * ports, protocols and applications, what each action does to a record, the
 * non-syn-tcp setting, and the engine applying a policy to sessions made by
 * the project's packet writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rstscope/craft.h>
#include <rstscope/engine.h>
#include <rstscope/policy.h>

static struct rs_policy *
parse(const char *text)
{
    struct rs_error err = {0};
    struct rs_policy *p = rs_policy_parse(text, strlen(text), "rules", &err);
    if (!p)
        fprintf(stderr, "unexpected: %s\n", err.msg);
    assert_non_null(p);
    return p;
}

/* Parses text that must fail; checks the message has every `want` piece. */
static void
parse_bad(const char *text, const char *want1, const char *want2)
{
    struct rs_error err = {0};
    struct rs_policy *p = rs_policy_parse(text, strlen(text), "rules", &err);
    if (p)
        fprintf(stderr, "accepted: %s\n", text);
    assert_null(p);
    assert_int_equal(err.code, RS_ERR_USAGE);
    if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
        fprintf(stderr, "message: %s\n", err.msg);
    assert_non_null(strstr(err.msg, want1));
    if (want2)
        assert_non_null(strstr(err.msg, want2));
}

static void
rec(struct rs_record *r, uint8_t proto, const char *cli, uint16_t cport, const char *srv,
    uint16_t sport, const char *app)
{
    memset(r, 0, sizeof *r);
    r->id = 7;
    r->proto = proto;
    assert_int_equal(rs_addr_parse(&r->client, cli), 0);
    assert_int_equal(rs_addr_parse(&r->server, srv), 0);
    r->client_port = cport;
    r->server_port = sport;
    r->first_flags = proto == 6 ? RS_TCP_SYN : 0;
    snprintf(r->app, sizeof r->app, "%s", app);
    r->end_reason = RS_END_TCP_FIN;
    snprintf(r->conn_state, sizeof r->conn_state, "SF");
    r->client_pkts = 5;
    r->server_pkts = 4;
}

static void
test_syntax_ok(void **state)
{
    (void)state;
    struct rs_policy *p = parse("# a comment line\n"
                                "\n"
                                "non-syn-tcp reject   # PAN-OS default\n"
                                "deny  src=10.0.0.0/8 dst=any proto=tcp dport=22 app=any "
                                "name=block-ssh\n"
                                "reset-client dport=8000-8099,9000 proto=tcp\r\n"
                                "reset-server src=2001:db8::/32,192.0.2.7\n"
                                "reset-both app=web-browsing,ssl\n"
                                "drop proto=udp sport=53\n"
                                "\tallow   proto=17   name=udp.ok_1 \n"
                                "deny");
    assert_int_equal(rs_policy_rule_count(p), 7);
    assert_true(rs_policy_non_syn_reject(p));
    rs_policy_free(p);

    p = parse("non-syn-tcp reject\nnon-syn-tcp allow\n");
    assert_int_equal(rs_policy_rule_count(p), 0);
    assert_false(rs_policy_non_syn_reject(p));
    rs_policy_free(p);

    p = parse("");
    assert_int_equal(rs_policy_rule_count(p), 0);
    rs_policy_free(p);
}

static void
test_syntax_errors(void **state)
{
    (void)state;
    parse_bad("permit dport=22\n", "rules:1:", "unknown action 'permit'");
    parse_bad("# one\n\ndeny dport=22\ndeny color=red\n", "rules:4:", "unknown key 'color'");
    parse_bad("deny dport=22 dport=23\n", "rules:1:", "given twice");
    parse_bad("deny dport=70000\n", "rules:1:", "'70000' is not a port");
    parse_bad("deny dport=90-80\n", "rules:1:", "runs backwards");
    parse_bad("deny dport=\n", "rules:1:", "empty value");
    parse_bad("deny dport=22,,23\n", "empty item", NULL);
    parse_bad("deny dport=22,any\n", "'any' cannot be part of a list", NULL);
    parse_bad("deny src=10.0.0.0/33\n", "rules:1:", "longer than 32");
    parse_bad("deny src=10.0.0.300/8\n", "not an IPv4 or IPv6 address", NULL);
    parse_bad("deny dst=2001:db8::/129\n", "longer than 128", NULL);
    parse_bad("deny src=10.0.0.0/x\n", "bad prefix length", NULL);
    parse_bad("deny proto=tcpp\n", "'tcpp' is not a protocol", NULL);
    parse_bad("deny proto=256\n", "is not a protocol", NULL);
    parse_bad("deny app=we$b\n", "not an application name", NULL);
    parse_bad("deny name=has space\n", "expected KEY=VALUE, got 'space'", NULL);
    parse_bad("deny name=a/b\n", "is not a rule name", NULL);
    parse_bad("deny name=x\nallow name=x\n", "rules:2:", "already used on line 1");
    parse_bad("deny\ndeny name=rule-1\n", "rules:2:", "already used on line 1");
    parse_bad("non-syn-tcp maybe\n", "neither reject nor allow", NULL);
    parse_bad("non-syn-tcp\n", "takes one value", NULL);
    parse_bad("deny dport 22\n", "expected KEY=VALUE", NULL);
    const char nul[] = "deny\nallow\0x\n";
    struct rs_error err = {0};
    assert_null(rs_policy_parse(nul, sizeof nul - 1, "rules", &err));
    assert_non_null(strstr(err.msg, "rules:2: NUL byte"));
}

static void
test_lookup_order_and_match(void **state)
{
    (void)state;
    struct rs_policy *p = parse("allow src=10.1.0.0/16 dport=22 name=admins\n"
                                "deny dport=22 name=no-ssh\n"
                                "reset-client dport=8000-8099 proto=tcp name=r8k\n"
                                "drop dst=2001:db8::/32 name=v6net\n"
                                "deny proto=icmp name=noping\n"
                                "reset-both app=http name=noweb\n"
                                "allow proto=udp dport=53 name=dns\n");
    struct rs_record r;
    struct rs_policy_hit h;

    rec(&r, 6, "10.1.2.3", 40000, "192.0.2.1", 22, "ssh");
    rs_policy_lookup(p, &r, &h);
    assert_true(h.matched);
    assert_int_equal(h.action, RS_POLICY_ALLOW);
    assert_string_equal(h.rule, "admins");
    assert_int_equal(h.line, 1);

    rec(&r, 6, "10.2.2.3", 40000, "192.0.2.1", 22, "ssh");
    rs_policy_lookup(p, &r, &h);
    assert_int_equal(h.action, RS_POLICY_DENY);
    assert_string_equal(h.rule, "no-ssh");
    assert_false(h.after_appid);

    rec(&r, 6, "10.2.2.3", 40000, "192.0.2.1", 8099, "");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "r8k");
    rec(&r, 17, "10.2.2.3", 40000, "192.0.2.1", 8050, "");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched); /* proto=tcp only; udp 8050 matches nothing */
    assert_string_equal(h.rule, "");
    assert_int_equal(h.action, RS_POLICY_ALLOW);

    rec(&r, 17, "2001:db8:1::5", 5000, "2001:db8:ffff::1", 443, "quic");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "v6net");
    rec(&r, 17, "2001:db9::5", 5000, "2001:db9::1", 443, "quic");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched);
    /* A v4 prefix never matches a v6 address and the other way round. */
    rec(&r, 17, "10.0.0.1", 5000, "32.1.13.184", 443, "quic");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched);

    rec(&r, 1, "192.0.2.9", 8, "192.0.2.1", 0, "");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "noping");
    rec(&r, 58, "2001:db9::5", 128, "2001:db9::1", 129, "");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "noping");

    /* app=http matches rstscope's http and App-ID's web-browsing alike. */
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 80, "http");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "noweb");
    assert_true(h.after_appid);
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 443, "ssl");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched);

    rec(&r, 17, "192.0.2.9", 40000, "192.0.2.1", 53, "dns");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "dns");
    assert_int_equal(h.action, RS_POLICY_ALLOW);
    rs_policy_free(p);

    /* App-ID names in the file, rstscope names in the record. */
    p = parse("deny app=web-browsing,ms-rdp,dns-base,ldap name=apps\n");
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 3389, "rdp");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "apps");
    rec(&r, 17, "192.0.2.9", 40000, "192.0.2.1", 53, "dns");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "apps");
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 389, "ldap_tcp,krb,gssapi");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "apps");
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 22, "ssh");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched);
    rs_policy_free(p);

    /* Host bits in a prefix are ignored; a bare address is a host. */
    p = parse("deny src=192.0.2.77/24 name=net\ndeny dst=198.51.100.7 name=host\n");
    rec(&r, 6, "192.0.2.1", 1, "203.0.113.1", 2, "");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "net");
    rec(&r, 6, "203.0.113.9", 1, "198.51.100.7", 2, "");
    rs_policy_lookup(p, &r, &h);
    assert_string_equal(h.rule, "host");
    rec(&r, 6, "203.0.113.9", 1, "198.51.100.8", 2, "");
    rs_policy_lookup(p, &r, &h);
    assert_false(h.matched);
    rs_policy_free(p);
}

static void
test_apply_actions(void **state)
{
    (void)state;
    struct rs_policy *p = parse("deny dport=1 name=d\n"
                                "drop dport=2 name=dr\n"
                                "reset-client dport=3 name=rc\n"
                                "reset-server dport=4 name=rs\n"
                                "reset-both dport=5 name=rb\n"
                                "deny dport=6 app=ssh name=after\n"
                                "allow dport=7 name=ok\n");
    static const struct {
        const char *action, *rule, *app;
        const char *cause;
        enum rs_rst_by by;
        uint16_t port;
    } want[] = {
        {"deny", "d", "not-applicable", "", RS_RST_BY_NONE, 1},
        {"drop", "dr", "not-applicable", "", RS_RST_BY_NONE, 2},
        {"reset-client", "rc", "not-applicable", "policy_reject", RS_RST_BY_SERVER, 3},
        {"reset-server", "rs", "not-applicable", "policy_reject", RS_RST_BY_CLIENT, 4},
        {"reset-both", "rb", "not-applicable", "policy_reject", RS_RST_BY_BOTH, 5},
        {"deny", "after", "ssh", "", RS_RST_BY_NONE, 6},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct rs_record r;
        rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", want[i].port, "ssh");
        /* the capture's own view: the server reset it */
        r.end_reason = RS_END_RST_SERVER;
        r.rst_by = RS_RST_BY_SERVER;
        snprintf(r.rst_cause, sizeof r.rst_cause, "abortive_close");
        r.rst_confidence = RS_CONF_MEDIUM;
        r.rst_flags = RS_RSTF_TTL_MISMATCH;
        r.inflight_server_bytes = 100;
        rs_policy_apply(p, &r);
        assert_int_equal(r.end_reason, RS_END_POLICY_DENY);
        assert_string_equal(r.action, want[i].action);
        assert_string_equal(r.rule, want[i].rule);
        assert_string_equal(r.app, want[i].app);
        assert_int_equal(r.rst_by, want[i].by);
        assert_string_equal(r.rst_cause, want[i].cause);
        assert_int_equal(r.rst_confidence, want[i].cause[0] ? RS_CONF_HIGH : RS_CONF_NONE);
        assert_int_equal(r.rst_flags, 0);
        assert_int_equal(r.inflight_server_bytes, 0);
        /* counts and the Zeek view are the capture's */
        assert_int_equal(r.client_pkts, 5);
        assert_string_equal(r.conn_state, "SF");
        assert_non_null(strstr(r.explanation, "Policy emulation: rule"));
        assert_non_null(strstr(r.explanation, want[i].rule));
        assert_non_null(strstr(r.explanation, "tcp-rst-from-server, app ssh, abortive_close"));
    }
    struct rs_record r;
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 7, "ssh");
    rs_policy_apply(p, &r);
    assert_int_equal(r.end_reason, RS_END_TCP_FIN);
    assert_string_equal(r.action, "allow");
    assert_string_equal(r.rule, "ok");
    assert_string_equal(r.app, "ssh");
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 8, "ssh");
    rs_policy_apply(p, &r);
    assert_string_equal(r.action, "allow");
    assert_string_equal(r.rule, "");
    assert_int_equal(r.end_reason, RS_END_TCP_FIN);
    /* A reset action on UDP blocks without a RST. */
    rec(&r, 17, "192.0.2.9", 40000, "192.0.2.1", 5, "dns");
    rs_policy_apply(p, &r);
    assert_int_equal(r.end_reason, RS_END_POLICY_DENY);
    assert_string_equal(r.action, "reset-both");
    assert_int_equal(r.rst_by, RS_RST_BY_NONE);
    assert_string_equal(r.rst_cause, "");
    assert_non_null(strstr(r.explanation, "no RST outside TCP"));
    /* No policy: nothing changes. */
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 1, "ssh");
    rs_policy_apply(NULL, &r);
    assert_string_equal(r.action, "");
    assert_int_equal(r.end_reason, RS_END_TCP_FIN);
    rs_policy_free(p);
}

static void
test_non_syn(void **state)
{
    (void)state;
    struct rs_policy *rej = parse("non-syn-tcp reject\nallow name=all\n");
    struct rs_policy *acc = parse("allow name=all\n");
    struct rs_record r;
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 443, "non-syn-tcp");
    r.first_flags = RS_TCP_ACK;
    struct rs_record r2 = r;
    rs_policy_apply(rej, &r);
    assert_int_equal(r.end_reason, RS_END_POLICY_DENY);
    assert_string_equal(r.action, "drop");
    assert_string_equal(r.rule, "");
    assert_string_equal(r.app, "non-syn-tcp");
    assert_non_null(strstr(r.explanation, "no traffic log"));
    rs_policy_apply(acc, &r2);
    assert_int_equal(r2.end_reason, RS_END_TCP_FIN);
    assert_string_equal(r2.rule, "all");
    /* A SYN-started session and UDP are not affected. */
    rec(&r, 6, "192.0.2.9", 40000, "192.0.2.1", 443, "ssl");
    rs_policy_apply(rej, &r);
    assert_int_equal(r.end_reason, RS_END_TCP_FIN);
    rec(&r, 17, "192.0.2.9", 40000, "192.0.2.1", 53, "dns");
    rs_policy_apply(rej, &r);
    assert_int_equal(r.end_reason, RS_END_TCP_FIN);
    rs_policy_free(rej);
    rs_policy_free(acc);
}

static void
test_load(void **state)
{
    (void)state;
    struct rs_error err = {0};
    assert_null(rs_policy_load("/nonexistent/rules.txt", &err));
    assert_int_equal(err.code, RS_ERR_INPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/rules.txt"));

    char path[] = "/tmp/rstscope_policy_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("deny dport=22 name=a\nbogus\n", f);
    fclose(f);
    assert_null(rs_policy_load(path, &err));
    assert_int_equal(err.code, RS_ERR_USAGE);
    char want[64];
    snprintf(want, sizeof want, "%s:2: unknown action 'bogus'", path);
    assert_non_null(strstr(err.msg, want));
    f = fopen(path, "w");
    fputs("deny dport=22 name=a\n", f);
    fclose(f);
    struct rs_policy *p = rs_policy_load(path, &err);
    assert_non_null(p);
    assert_int_equal(rs_policy_rule_count(p), 1);
    rs_policy_free(p);
    unlink(path);
}

/* ---- through the engine ---- */

struct sink {
    struct rs_record rec[8];
    int n;
};

static void
on_rec(const struct rs_record *r, void *user)
{
    struct sink *s = user;
    if (s->n < 8)
        s->rec[s->n++] = *r;
}

static void
send(struct rs_engine *e, struct rs_craft_flow *f, int dir, uint16_t flags, size_t len)
{
    static uint8_t buf[RS_CRAFT_MAX_FRAME];
    static const uint8_t payload[64] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    struct rs_craft_seg seg = {0};
    seg.flags = flags;
    seg.payload = len ? payload : NULL;
    seg.len = len;
    seg.dt_us = 1000;
    struct rs_packet p;
    assert_true(rs_craft_flow_build(f, dir, &seg, buf, sizeof buf, &p) > 0);
    rs_engine_packet(e, &p);
}

static void
test_engine(void **state)
{
    (void)state;
    struct rs_policy *p = parse("deny dport=22 name=no-ssh\nreset-client dport=80 name=rst-web\n");
    struct rs_engine_config cfg;
    rs_engine_config_default(&cfg, RS_PROFILE_PANOS);
    cfg.hash_seed = 1;
    cfg.policy = p;
    struct sink s = {0};
    struct rs_engine *e = rs_engine_new(&cfg, on_rec, &s, NULL);
    assert_non_null(e);
    rs_time_ns t0 = (rs_time_ns)1700000000 * RS_NS_PER_SEC;
    static const uint16_t ports[3] = {22, 80, 443};
    for (int i = 0; i < 3; i++) {
        struct rs_craft_flow f;
        assert_int_equal(rs_craft_flow_init(&f, "192.0.2.9", (uint16_t)(40000 + i), "192.0.2.1",
                                            ports[i], t0 + i * RS_NS_PER_SEC),
                         0);
        send(e, &f, RS_CRAFT_CLIENT, RS_TCP_SYN, 0);
        send(e, &f, RS_CRAFT_SERVER, RS_TCP_SYN | RS_TCP_ACK, 0);
        send(e, &f, RS_CRAFT_CLIENT, RS_TCP_ACK, 0);
        send(e, &f, RS_CRAFT_CLIENT, RS_TCP_ACK | RS_TCP_PSH, 27);
        send(e, &f, RS_CRAFT_SERVER, RS_TCP_ACK | RS_TCP_FIN, 0);
        send(e, &f, RS_CRAFT_CLIENT, RS_TCP_ACK | RS_TCP_FIN, 0);
        send(e, &f, RS_CRAFT_SERVER, RS_TCP_ACK, 0);
    }
    rs_engine_finish(e);
    rs_engine_free(e);
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++) {
        const struct rs_record *r = NULL;
        for (int k = 0; k < s.n; k++)
            if (s.rec[k].server_port == ports[i])
                r = &s.rec[k];
        assert_non_null(r);
        if (!r)
            return;
        if (ports[i] == 22) {
            assert_int_equal(r->end_reason, RS_END_POLICY_DENY);
            assert_string_equal(r->app, "not-applicable");
            assert_string_equal(r->action, "deny");
            assert_int_equal(r->rst_by, RS_RST_BY_NONE);
        } else if (ports[i] == 80) {
            assert_int_equal(r->end_reason, RS_END_POLICY_DENY);
            assert_string_equal(r->app, "not-applicable");
            assert_string_equal(r->action, "reset-client");
            assert_string_equal(r->rule, "rst-web");
            assert_int_equal(r->rst_by, RS_RST_BY_SERVER);
            assert_string_equal(r->rst_cause, "policy_reject");
        } else {
            assert_int_equal(r->end_reason, RS_END_TCP_FIN);
            assert_string_equal(r->action, "allow");
            assert_string_equal(r->rule, "");
        }
        assert_string_equal(r->conn_state, "SF");
    }
    rs_policy_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax_ok),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_lookup_order_and_match),
        cmocka_unit_test(test_apply_actions),
        cmocka_unit_test(test_non_syn),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
