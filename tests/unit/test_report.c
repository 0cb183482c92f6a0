/*
 * test_report.c - the HTML report (rstscope/report.h): which records reach
 * the table and the max_rows cap; the embedded summary is byte for byte
 * the summary's own JSON (apart from the script escapes); text from
 * packets ('<', '>', '&', U+2028, U+2029, "</script>") cannot leave the
 * JSON blocks; the title is HTML-escaped; every template marker is filled;
 * a failed write is an error. Records are built by hand so that they can
 * hold bytes the engine itself would have escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rstscope/report.h>

#define SEC(x) ((rs_time_ns)(x)*RS_NS_PER_SEC)

static struct rs_record
rec(enum rs_end_reason end, const char *app, const char *state, int i)
{
    struct rs_record r;
    memset(&r, 0, sizeof r);
    r.proto = 6;
    const uint8_t c[4] = {10, 0, 0, (uint8_t)(1 + i % 200)}, s[4] = {10, 0, 1, 1};
    rs_addr_from_v4(&r.client, c);
    rs_addr_from_v4(&r.server, s);
    r.client_port = (uint16_t)(40000 + i);
    r.server_port = 443;
    r.ts = SEC(1700000000) + SEC(i);
    r.end_ts = r.ts + SEC(1);
    r.end_reason = end;
    snprintf(r.uid, sizeof r.uid, "Cunit%d", i);
    snprintf(r.app, sizeof r.app, "%s", app);
    snprintf(r.conn_state, sizeof r.conn_state, "%s", state);
    snprintf(r.history, sizeof r.history, "ShADadFf");
    r.client_pkts = 4;
    r.server_pkts = 3;
    if (end == RS_END_RST_CLIENT || end == RS_END_RST_SERVER) {
        r.rst_by = end == RS_END_RST_CLIENT ? RS_RST_BY_CLIENT : RS_RST_BY_SERVER;
        snprintf(r.rst_cause, sizeof r.rst_cause, "abortive_close");
        snprintf(r.explanation, sizeof r.explanation, "reset %d", i);
    }
    return r;
}

/* Writes the report into a string (caller frees). */
static char *
page(const struct rs_report *r, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    struct rs_error err = {0};
    assert_int_equal(rs_report_write(r, f, &err), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* The content of <script type="application/json" id="ID">, in place. */
static char *
block(char *html, const char *id)
{
    char open[96];
    snprintf(open, sizeof open, "<script type=\"application/json\" id=\"%s\">", id);
    char *p = strstr(html, open);
    assert_non_null(p);
    p += strlen(open);
    char *end = strstr(p, "</script>");
    assert_non_null(end);
    *end = '\0';
    return p;
}

static void
test_rows(void **state)
{
    (void)state;
    struct rs_report_opts o = {0};
    o.max_rows = 3;
    struct rs_error err = {0};
    struct rs_report *r = rs_report_new(&o, &err);
    assert_non_null(r);
    struct rs_record fin = rec(RS_END_TCP_FIN, "ssl", "SF", 0);
    struct rs_record rst = rec(RS_END_RST_SERVER, "ssl", "RSTR", 1);
    struct rs_record inc = rec(RS_END_AGED_OUT, "incomplete", "S0", 2);
    struct rs_record oow = rec(RS_END_TCP_FIN, "http", "SF", 3);
    oow.rst_flags = RS_RSTF_OUT_OF_WINDOW; /* hit by a RST it survived */
    rs_report_add(r, &fin);
    rs_report_add(r, &rst);
    rs_report_add(r, &inc);
    rs_report_on_record(&oow, r);
    uint64_t kept, left;
    rs_report_rows(r, &kept, &left);
    assert_int_equal(kept, 3);
    assert_int_equal(left, 0);
    struct rs_record more = rec(RS_END_RST_CLIENT, "ssl", "RSTO", 4);
    rs_report_add(r, &more);
    rs_report_add(r, &fin);
    rs_report_rows(r, &kept, &left);
    assert_int_equal(kept, 3);
    assert_int_equal(left, 1);

    size_t len;
    char *html = page(r, &len);
    char *t = block(html, "rs-sessions");
    assert_non_null(strstr(t, "\"kept\":3,\"left_out\":1"));
    assert_non_null(strstr(t, "\"Cunit1\""));
    assert_non_null(strstr(t, "\"Cunit2\""));
    assert_non_null(strstr(t, "\"Cunit3\""));
    assert_null(strstr(t, "\"Cunit0\""));
    assert_null(strstr(t, "\"Cunit4\""));
    /* the fields are the jsonl writer's, in its order */
    assert_non_null(strstr(t, "{\"fields\":[\"uid\",\"ts\",\"end_ts\",\"duration\""));
    free(html);
    rs_report_free(r);
}

/* The embedded summary is what rs_summary_write prints for the same records. */
static void
test_summary_equal(void **state)
{
    (void)state;
    struct rs_summary_config sc;
    rs_summary_config_default(&sc);
    sc.seed = 7;
    struct rs_report_opts o = {0};
    o.summary = &sc;
    o.top = 2;
    struct rs_error err = {0};
    struct rs_report *r = rs_report_new(&o, &err);
    struct rs_summary *s = rs_summary_new(&sc, &err);
    assert_non_null(r);
    assert_non_null(s);
    for (int i = 0; i < 50; i++) {
        struct rs_record x = rec(i % 3 ? RS_END_RST_CLIENT : RS_END_TCP_FIN, i % 5 ? "ssl" : "http",
                                 i % 3 ? "RSTO" : "SF", i);
        rs_report_add(r, &x);
        rs_summary_add(s, &x);
    }
    rs_summary_add_input(rs_report_summary(r), "day1.pcap");
    rs_summary_add_input(s, "day1.pcap");
    char *want = NULL;
    size_t wlen = 0;
    FILE *f = open_memstream(&want, &wlen);
    struct rs_summary_write_opts wo = {2, 0};
    assert_int_equal(rs_summary_write(s, RS_SUMMARY_JSON, f, &wo, &err), 0);
    fclose(f);
    while (wlen && want[wlen - 1] == '\n')
        want[--wlen] = '\0';
    size_t len;
    char *html = page(r, &len);
    assert_string_equal(block(html, "rs-summary"), want);
    free(want);
    free(html);
    rs_summary_free(s);
    rs_report_free(r);
}

static void
test_escaping(void **state)
{
    (void)state;
    struct rs_report_opts o = {0};
    o.title = "<t>&\"'";
    struct rs_error err = {0};
    struct rs_report *r = rs_report_new(&o, &err);
    assert_non_null(r);
    struct rs_record x = rec(RS_END_RST_SERVER, "http", "RSTR", 9);
    snprintf(x.http_host, sizeof x.http_host,
             "a</script><script>alert(1)</script>\xe2\x80\xa8<!--\xe2\x80\xa9&");
    snprintf(x.sni, sizeof x.sni, "</SCRIPT >");
    snprintf(x.explanation, sizeof x.explanation, "payload \"<img src=x onerror=alert(2)>\"");
    rs_report_add(r, &x);
    rs_summary_add_input(rs_report_summary(r), "x</script>\xe2\x80\xa8.pcap");
    size_t len;
    char *html = page(r, &len);
    assert_int_equal(count(html, "<script"), 3); /* summary, sessions, code */
    assert_int_equal(count(html, "</script>"), 3);
    assert_int_equal(count(html, "</SCRIPT"), 0);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<!--"));
    assert_non_null(strstr(html, "<title>&lt;t&gt;&amp;&quot;&#39;</title>"));
    assert_non_null(strstr(html, "x\\u003c/script\\u003e\\u2028.pcap"));
    char *t = block(html, "rs-sessions");
    assert_non_null(strstr(t,
                           "a\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"
                           "\\u2028\\u003c!--\\u2029\\u0026"));
    assert_null(strstr(t, "\xe2\x80\xa8"));
    assert_null(strstr(t, "\xe2\x80\xa9"));
    free(html);
    rs_report_free(r);
}

/* Every @MARKER@ of the template is replaced; none is left. */
static void
test_template(void **state)
{
    (void)state;
    struct rs_report *r = rs_report_new(NULL, NULL);
    assert_non_null(r);
    size_t len;
    char *html = page(r, &len);
    assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
    const char *markers[] = {"@TITLE@", "@INPUTS@",  "@VERSION@", "@CSS@",
                             "@JS@",    "@SUMMARY@", "@SESSIONS@"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        assert_null(strstr(html, markers[i]));
    assert_non_null(strstr(html, "content=\"rstscope " RS_VERSION "\""));
    assert_non_null(strstr(html, "@media (prefers-color-scheme: dark)")); /* the CSS's own @ */
    assert_non_null(strstr(html, "<title>rstscope report</title>"));
    assert_non_null(strstr(html, "\"rows\":[\n],\n\"kept\":0,\"left_out\":0}"));
    assert_non_null(strstr(html, "default-src 'none'"));
    free(html);
    rs_report_free(r);
}

static void
test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        skip();
    struct rs_report *r = rs_report_new(NULL, NULL);
    struct rs_error err = {0};
    int rc = rs_report_write(r, f, &err);
    int rc2 = fclose(f);
    assert_true(rc == RS_ERR_OUTPUT || rc2 != 0);
    rs_report_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),        cmocka_unit_test(test_summary_equal),
        cmocka_unit_test(test_escaping),    cmocka_unit_test(test_template),
        cmocka_unit_test(test_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
