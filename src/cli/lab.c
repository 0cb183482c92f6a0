/*
 * lab.c - `rstscope lab`, `rstscope send-rst`, `rstscope serve-rst`:
 * argv -> options, the library (src/lab/) does the work, results -> text
 * and exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/lab.h>
#include <rstscope/output.h>
#include <rstscope/record.h>

#include "cli/cli.h"

/* lab: the lab ran but some session did not get the labels it should. */
#define LAB_EXIT_MISMATCH 5

/* ---- rstscope lab ---- */

static const char lab_usage[] =
    "usage: rstscope lab [options] [SCENARIO...]\n"
    "\n"
    "Makes the kernel end real TCP and UDP sessions in every way a firewall log\n"
    "or Zeek's conn.log names, captures them on the loopback interface, analyses\n"
    "the capture and checks that each session got the labels it must get\n"
    "(end_reason, app, conn_state, rst_by). Only loopback addresses are used:\n"
    "127.R.k.1 -> 127.R.k.2 for scenario k (R picked per run, with the ports)\n"
    "and ::1 for the IPv6 variants. Without SCENARIO, every scenario runs; the\n"
    "lab takes a few seconds because the timer-driven endings (aged-out, S0)\n"
    "need the clock to run past their (shortened) timers.\n"
    "\n"
    "options:\n"
    "  -w FILE             keep the capture as a pcap file; analysing it with the\n"
    "                      lab's timers (the command is printed after the table)\n"
    "                      gives the same labels\n"
    "  --list              list the scenarios, what each does and the labels it\n"
    "                      must produce, and exit\n"
    "  --format=FMT        table (default) or jsonl (one object per session)\n"
    "  --timeouts=LIST     timers for the analysis (the default is printed after\n"
    "                      the table); the expectations assume the default\n"
    "  --check-cause       also check rst_cause (SPEC 6) against the expectation\n"
    "  -h, --help          this help\n"
    "\n"
    "Capturing needs CAP_NET_RAW: run as root, or once:\n"
    "  sudo setcap cap_net_raw,cap_net_admin+eip $(which rstscope)\n"
    "\n"
    "exit status: 0 every session got its expected labels; 1 usage; 2 no\n"
    "permission to capture, or the capture failed; 3 the -w file cannot be\n"
    "written; 4 internal error; 5 some session's labels differ from what the\n"
    "scenario expects (the table says which).\n"
    "\n"
    "examples:\n"
    "  sudo rstscope lab\n"
    "  sudo rstscope lab client-rst server-rst refused -w resets.pcap\n"
    "  rstscope lab --list\n";

static void
print_list(void)
{
    size_t n = rs_lab_scenario_count();
    for (size_t i = 0; i < n; i++) {
        const struct rs_lab_scenario_info *s = rs_lab_scenario_get(i);
        printf("%-20s %s\n", s->name, s->summary);
        for (size_t j = 0; j < s->n_sessions; j++) {
            const char *role;
            struct rs_lab_labels l;
            char buf[160];
            if (rs_lab_scenario_expect(i, j, &role, &l) != 0)
                continue;
            rs_lab_labels_format(&l, 0, buf, sizeof buf);
            printf("%-20s   expect%s%s%s: %s", "", role[0] ? " (" : "", role, role[0] ? ")" : "",
                   buf);
            if (l.rst_cause[0])
                printf("  [cause %s]", l.rst_cause);
            putchar('\n');
        }
    }
}

static void
endpoint(const struct rs_addr *a, uint16_t port, int icmp, char *buf, size_t len)
{
    char s[64];
    rs_addr_format(a, s, sizeof s);
    if (icmp)
        snprintf(buf, len, "%s", s);
    else if (rs_addr_is_v4(a))
        snprintf(buf, len, "%s:%u", s, port);
    else
        snprintf(buf, len, "[%s]:%u", s, port);
}

static void
print_table(const struct rs_lab_report *r, int cause)
{
    size_t w_scn = 8, w_role = 7, w_exp = 8, w_got = 3, w_hist = 7;
    char exp[160], got[160];
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct rs_lab_row *row = &r->rows[i];
        size_t n = strlen(row->scenario);
        w_scn = n > w_scn ? n : w_scn;
        n = strlen(row->role);
        w_role = n > w_role ? n : w_role;
        n = row->unexpected ? 1 : rs_lab_labels_format(&row->expected, cause, exp, sizeof exp);
        w_exp = n > w_exp ? n : w_exp;
        n = row->found ? rs_lab_labels_format(&row->got, cause, got, sizeof got) : 1;
        w_got = n > w_got ? n : w_got;
        n = row->found ? strlen(row->rec.history) : 1;
        w_hist = n > w_hist ? n : w_hist;
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w_scn, "scenario", (int)w_role, "session",
           (int)w_exp, "expected", (int)w_got, "got", (int)w_hist, "history", "ok");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct rs_lab_row *row = &r->rows[i];
        if (row->unexpected)
            snprintf(exp, sizeof exp, "-");
        else
            rs_lab_labels_format(&row->expected, cause, exp, sizeof exp);
        if (row->found)
            rs_lab_labels_format(&row->got, cause, got, sizeof got);
        else
            snprintf(got, sizeof got, "-");
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w_scn, row->scenario, (int)w_role,
               row->role[0] ? row->role : "-", (int)w_exp, exp, (int)w_got, got, (int)w_hist,
               row->found && row->rec.history[0] ? row->rec.history : "-", row->ok ? "ok" : "FAIL");
        if (!row->ok) {
            if (row->found) {
                char c[80], s[80];
                int icmp = row->rec.proto == 1 || row->rec.proto == 58;
                endpoint(&row->rec.client, row->rec.client_port, icmp, c, sizeof c);
                endpoint(&row->rec.server, row->rec.server_port, icmp, s, sizeof s);
                printf("    %s %s -> %s, uid %s\n", rs_proto_name(row->rec.proto), c, s,
                       row->rec.uid);
                if (row->rec.explanation[0])
                    printf("    %s\n", row->rec.explanation);
            }
            if (row->note[0])
                printf("    %s\n", row->note);
        }
    }
}

static void
json_str(const char *key, const char *v, int comma)
{
    char buf[1024];
    size_t n = rs_json_escape(v, strlen(v), buf, sizeof buf);
    printf("%s\"%s\":\"%.*s\"", comma ? "," : "", key, (int)n, buf);
}

static void
json_labels(const char *key, const struct rs_lab_labels *l)
{
    printf(",\"%s\":{", key);
    json_str("end_reason", l->end_reason, 0);
    json_str("app", l->app, 1);
    json_str("conn_state", l->conn_state, 1);
    json_str("rst_by", l->rst_by, 1);
    json_str("rst_cause", l->rst_cause, 1);
    putchar('}');
}

static void
print_jsonl(const struct rs_lab_report *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct rs_lab_row *row = &r->rows[i];
        putchar('{');
        json_str("scenario", row->scenario, 0);
        json_str("session", row->role, 1);
        printf(",\"ok\":%s,\"found\":%s", row->ok ? "true" : "false",
               row->found ? "true" : "false");
        if (!row->unexpected)
            json_labels("expected", &row->expected);
        if (row->found) {
            char a[64];
            json_labels("got", &row->got);
            json_str("uid", row->rec.uid, 1);
            printf(",\"ts\":%lld.%06lld", (long long)(row->rec.ts / RS_NS_PER_SEC),
                   (long long)(row->rec.ts % RS_NS_PER_SEC / 1000));
            json_str("proto", rs_proto_name(row->rec.proto), 1);
            rs_addr_format(&row->rec.client, a, sizeof a);
            json_str("client", a, 1);
            printf(",\"client_port\":%u", row->rec.client_port);
            rs_addr_format(&row->rec.server, a, sizeof a);
            json_str("server", a, 1);
            printf(",\"server_port\":%u", row->rec.server_port);
            json_str("history", row->rec.history, 1);
        }
        json_str("note", row->note, 1);
        puts("}");
    }
}

int
rs_cli_lab(int argc, char **argv)
{
    enum { OPT_LIST = 256, OPT_FORMAT, OPT_TIMEOUTS, OPT_CAUSE };
    static const struct option longopts[] = {
        {"list", no_argument, NULL, OPT_LIST},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"timeouts", required_argument, NULL, OPT_TIMEOUTS},
        {"check-cause", no_argument, NULL, OPT_CAUSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_lab_opts o = {0};
    int jsonl = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'w':
            o.dump_path = optarg;
            break;
        case OPT_LIST:
            print_list();
            return RS_EXIT_OK;
        case OPT_FORMAT:
            if (strcmp(optarg, "table") == 0)
                jsonl = 0;
            else if (strcmp(optarg, "jsonl") == 0)
                jsonl = 1;
            else
                return rs_cli_usage_error("lab: unknown --format '%s' (table, jsonl)", optarg);
            break;
        case OPT_TIMEOUTS:
            o.timeouts = optarg;
            break;
        case OPT_CAUSE:
            o.check_cause = 1;
            break;
        case 'h':
            fputs(lab_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope lab --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (rs_lab_scenario_find(argv[i]) < 0)
            return rs_cli_usage_error("lab: unknown scenario '%s' (see rstscope lab --list)",
                                      argv[i]);
    }
    o.scenarios = (const char *const *)(argv + optind);
    o.n_scenarios = (size_t)(argc - optind);

    struct rs_error err = {0};
    struct rs_lab_report *r = NULL;
    int rc = rs_lab_run(&o, &r, &err);
    if (rc != 0) {
        fprintf(stderr, "rstscope: lab: %s\n", err.msg);
        switch (rc) {
        case RS_ERR_USAGE:
            return RS_EXIT_USAGE;
        case RS_ERR_PERM:
        case RS_ERR_INPUT:
            return RS_EXIT_INPUT;
        case RS_ERR_OUTPUT:
            return RS_EXIT_OUTPUT;
        default:
            return RS_EXIT_INTERNAL;
        }
    }
    if (jsonl)
        print_jsonl(r);
    else
        print_table(r, o.check_cause);
    FILE *sum = jsonl ? stderr : stdout;
    uint64_t dropped = r->dropped + r->if_dropped;
    fprintf(sum,
            "\n%zu scenario%s, %zu session%s checked: %zu as expected, %zu not. %llu packets "
            "captured on %s in %.1f s, %llu dropped.\n",
            r->n_scenarios, r->n_scenarios == 1 ? "" : "s", r->n_rows, r->n_rows == 1 ? "" : "s",
            r->n_rows - r->n_failed, r->n_failed, (unsigned long long)r->packets,
            o.iface ? o.iface : "lo", r->seconds, (unsigned long long)dropped);
    fprintf(sum, "Analysed with --timeouts=%s\n", r->timeouts);
    if (o.dump_path)
        fprintf(sum, "Capture kept in %s: rstscope analyze --timeouts=%s %s\n", o.dump_path,
                r->timeouts, o.dump_path);
    if (dropped)
        fprintf(stderr, "rstscope: lab: the kernel dropped %llu packets; results may be wrong\n",
                (unsigned long long)dropped);
    if (r->capture_truncated)
        fprintf(stderr, "rstscope: lab: the capture ended before the lab's last packet arrived\n");
    int status = r->n_failed ? LAB_EXIT_MISMATCH : RS_EXIT_OK;
    if (fflush(stdout) != 0)
        status = RS_EXIT_OUTPUT;
    rs_lab_report_free(r);
    return status;
}

/* ---- rstscope send-rst ---- */

static const char send_usage[] =
    "usage: rstscope send-rst [options] HOST PORT\n"
    "\n"
    "The client half of a reset: connects to HOST PORT, optionally sends a\n"
    "payload, waits (reading whatever arrives), then closes abortively with\n"
    "SO_LINGER {1,0}, so the kernel sends a RST instead of a FIN. Run it against\n"
    "your own server while capturing to see what a client abort looks like:\n"
    "the firewall logs tcp-rst-from-client (app incomplete without --payload;\n"
    "with one, the protocol if it is recognised, else insufficient-data), Zeek's\n"
    "conn_state is RSTO. If the server closes first (FIN) the reset still goes\n"
    "out; if the server resets first, no reset is sent and that is reported.\n"
    "\n"
    "options:\n"
    "  --payload TEXT      send TEXT once connected; \\r \\n \\t \\\\ \\0 and \\xHH are\n"
    "                      decoded, e.g. 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'\n"
    "  --after-ms N        wait N ms before the reset (default 0), reading what\n"
    "                      the server sends: a reset mid-response shows as\n"
    "                      client_abort_midtransfer\n"
    "  --connect-timeout-ms N   give up on the handshake after N ms (default 5000)\n"
    "  -4, -6              use IPv4 / IPv6 only\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 connected (our reset was sent, or the server reset first);\n"
    "1 usage; 2 no connection: refused (the SYN was answered by a RST),\n"
    "unreachable, timeout (no answer within the connect timeout) or the name did\n"
    "not resolve; 4 internal error.\n"
    "\n"
    "examples:\n"
    "  rstscope send-rst 127.0.0.1 8080 --payload 'hello\\n' --after-ms 200\n"
    "  rstscope send-rst -6 ::1 443\n";

/* Decodes C-style escapes in place; returns the length (may contain NULs). */
static size_t
unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\' || !s[i + 1]) {
            s[o++] = s[i];
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'n':
            s[o++] = '\n';
            break;
        case 'r':
            s[o++] = '\r';
            break;
        case 't':
            s[o++] = '\t';
            break;
        case '0':
            s[o++] = '\0';
            break;
        case 'x': {
            unsigned v = 0, k = 0;
            while (k < 2 && s[i + 1] &&
                   ((s[i + 1] >= '0' && s[i + 1] <= '9') || (s[i + 1] >= 'a' && s[i + 1] <= 'f') ||
                    (s[i + 1] >= 'A' && s[i + 1] <= 'F'))) {
                char h = s[++i];
                v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                k++;
            }
            s[o++] = k ? (char)v : 'x';
            break;
        }
        default:
            s[o++] = e;
            break;
        }
    }
    return o;
}

static int
parse_ms(const char *opt, const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > 3600000UL || s[0] == '-')
        return rs_cli_usage_error("%s wants milliseconds from 0 to 3600000, not '%s'", opt, s);
    *out = (unsigned)v;
    return 0;
}

static void
on_connected(const char *local, const char *peer, double ms, void *user)
{
    (void)user;
    printf("connected to %s from %s in %.2f ms\n", peer, local, ms);
    fflush(stdout);
}

int
rs_cli_send_rst(int argc, char **argv)
{
    enum { OPT_PAYLOAD = 256, OPT_AFTER, OPT_CTIMEOUT };
    static const struct option longopts[] = {
        {"payload", required_argument, NULL, OPT_PAYLOAD},
        {"after-ms", required_argument, NULL, OPT_AFTER},
        {"connect-timeout-ms", required_argument, NULL, OPT_CTIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_send_rst_opts o = {0};
    char *payload = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "46h", longopts, NULL)) != -1) {
        switch (c) {
        case '4':
            o.family = 4;
            break;
        case '6':
            o.family = 6;
            break;
        case OPT_PAYLOAD:
            payload = optarg;
            break;
        case OPT_AFTER:
            if (parse_ms("--after-ms", optarg, &o.after_ms) != 0)
                return RS_EXIT_USAGE;
            break;
        case OPT_CTIMEOUT:
            if (parse_ms("--connect-timeout-ms", optarg, &o.connect_timeout_ms) != 0)
                return RS_EXIT_USAGE;
            if (o.connect_timeout_ms == 0)
                return rs_cli_usage_error("--connect-timeout-ms must be at least 1");
            break;
        case 'h':
            fputs(send_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope send-rst --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (argc - optind != 2)
        return rs_cli_usage_error("send-rst needs HOST and PORT");
    o.host = argv[optind];
    o.port = argv[optind + 1];
    if (payload) {
        o.payload_len = unescape(payload);
        o.payload = payload;
    }
    o.on_connect = on_connected;

    struct rs_send_rst_result res;
    struct rs_error err = {0};
    int rc = rs_send_rst(&o, &res, &err);
    if (rc == RS_ERR_USAGE)
        return rs_cli_usage_error("send-rst: %s", err.msg);
    if (rc != 0) {
        fprintf(stderr, "rstscope: send-rst: %s\n", err.msg);
        return rc == RS_ERR_INPUT ? RS_EXIT_INPUT : RS_EXIT_INTERNAL;
    }
    if (o.payload_len)
        printf("sent %llu of %zu bytes\n", (unsigned long long)res.bytes_sent, o.payload_len);
    printf("received %llu bytes%s\n", (unsigned long long)res.bytes_received,
           res.peer_fin ? "; the server closed its side (FIN)" : "");
    if (res.outcome == RS_SEND_PEER_RESET) {
        printf("peer-reset: the server reset the connection %.1f ms after it was established; "
               "no reset sent by us (a firewall logs tcp-rst-from-server)\n",
               res.peer_reset_ms);
    } else {
        printf("reset-sent: closed with SO_LINGER {1,0}; the RST goes from %s to %s (a firewall "
               "logs tcp-rst-from-client)\n",
               res.local, res.peer);
    }
    return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_OUTPUT;
}

/* ---- rstscope serve-rst ---- */

static const char serve_usage[] =
    "usage: rstscope serve-rst [--listen ADDR:PORT] [--mode MODE] [--count N]\n"
    "\n"
    "The server half of a reset: accepts connections one at a time and resets\n"
    "each the way MODE says, logging every connection (peer, bytes read and\n"
    "written, how it was closed) to stdout. Point your client at it while\n"
    "capturing to see how each server-side failure looks on the wire.\n"
    "\n"
    "modes (what a capture of each shows):\n"
    "  immediate          accept, then abort at once: the handshake completes and\n"
    "                     the server's RST follows with no data - what an\n"
    "                     overloaded server or a full accept queue looks like.\n"
    "                     Firewall: tcp-rst-from-server, app incomplete; Zeek\n"
    "                     RSTR; rst_cause listen_overflow_reset (if the client's\n"
    "                     request arrived first: abort_unread_data).\n"
    "  after-request      read the client's request, then abort (SO_LINGER 0):\n"
    "                     an application that crashed or rejected the request.\n"
    "                     tcp-rst-from-server (app: the request's protocol, or\n"
    "                     insufficient-data); the request was ACKed but never\n"
    "                     answered (abort_unread_data).\n"
    "  unread             let the request arrive, never read it, plain close():\n"
    "                     the kernel must send a RST instead of a FIN because\n"
    "                     data was left unread (RFC 2525 2.17). Same labels as\n"
    "                     after-request, though the application never aborted.\n"
    "  partial-response   read the request, send the start of a 1 MiB HTTP\n"
    "                     response (~16 KB), then abort: the client sees a\n"
    "                     truncated body; unacknowledged response bytes at the\n"
    "                     RST are the data at risk (inflight_server_bytes);\n"
    "                     rst_cause abortive_close.\n"
    "\n"
    "options:\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080); [::1]:8080\n"
    "                      for IPv6, PORT alone for 127.0.0.1, port 0 for any\n"
    "                      free port (the 'listening on' line says which)\n"
    "  --mode MODE         immediate, after-request (default), unread,\n"
    "                      partial-response\n"
    "  --count N           exit after N connections (default: until Ctrl-C)\n"
    "  --wait-ms N         how long to wait for a request (default 5000)\n"
    "  -h, --help          this help\n"
    "\n"
    "exit status: 0 done; 1 usage; 2 cannot listen there (address in use, not\n"
    "local, port below 1024 without privilege); 4 internal error.\n"
    "\n"
    "example:\n"
    "  rstscope serve-rst --listen 127.0.0.1:8080 --mode unread &\n"
    "  rstscope send-rst 127.0.0.1 8080 --payload 'hello' --after-ms 100\n";

static volatile sig_atomic_t serve_stop;

static void
on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
}

static void
on_listening(const char *addr, void *user)
{
    const char *mode = user;
    printf("listening on %s, mode %s\n", addr, mode);
    fflush(stdout);
}

static void
on_served(const struct rs_serve_conn *c, void *user)
{
    (void)user;
    printf("#%u %s -> %s: read %llu bytes, wrote %llu bytes", c->number, c->peer, c->local,
           (unsigned long long)c->bytes_read, (unsigned long long)c->bytes_written);
    if (c->request_bytes_waiting)
        printf(", %u bytes left unread", c->request_bytes_waiting);
    printf("; %s, after %.1f ms%s\n", c->closed, c->ms,
           c->reset_sent ? " (tcp-rst-from-server)" : "");
    fflush(stdout);
}

int
rs_cli_serve_rst(int argc, char **argv)
{
    enum { OPT_LISTEN = 256, OPT_MODE, OPT_COUNT, OPT_WAIT };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"mode", required_argument, NULL, OPT_MODE},
        {"count", required_argument, NULL, OPT_COUNT},
        {"wait-ms", required_argument, NULL, OPT_WAIT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rs_serve_rst_opts o = {0};
    o.mode = RS_SERVE_AFTER_REQUEST;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            o.listen = optarg;
            break;
        case OPT_MODE: {
            int m = rs_serve_mode_parse(optarg);
            if (m < 0) {
                return rs_cli_usage_error("serve-rst: unknown --mode '%s' (immediate, "
                                          "after-request, unread, partial-response)",
                                          optarg);
            }
            o.mode = (enum rs_serve_mode)m;
            break;
        }
        case OPT_COUNT: {
            char *end;
            errno = 0;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || errno || v == 0 || v > 1000000000UL || optarg[0] == '-')
                return rs_cli_usage_error("--count wants a positive number, not '%s'", optarg);
            o.count = (unsigned)v;
            break;
        }
        case OPT_WAIT:
            if (parse_ms("--wait-ms", optarg, &o.request_wait_ms) != 0)
                return RS_EXIT_USAGE;
            break;
        case 'h':
            fputs(serve_usage, stdout);
            return RS_EXIT_OK;
        default:
            fputs("Try 'rstscope serve-rst --help'.\n", stderr);
            return RS_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return rs_cli_usage_error("serve-rst: unexpected argument '%s'", argv[optind]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    o.stop = &serve_stop;
    o.on_listen = on_listening;
    o.on_conn = on_served;
    o.user = (void *)rs_serve_mode_name(o.mode);

    struct rs_error err = {0};
    int rc = rs_serve_rst(&o, &err);
    if (rc != 0) {
        fprintf(stderr, "rstscope: serve-rst: %s\n", err.msg);
        return rc == RS_ERR_USAGE   ? RS_EXIT_USAGE
               : rc == RS_ERR_INPUT ? RS_EXIT_INPUT
                                    : RS_EXIT_INTERNAL;
    }
    return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_OUTPUT;
}
