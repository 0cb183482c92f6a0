/*
 * policy.c - firewall policy emulation: the rule file parser, first-match
 * lookup, and the rewrite of a record into what the firewall would log
 * (policy.h has the file syntax and the semantics).
 *
 * Parsing is strict and line-numbered: a rule file is configuration, and a
 * typo that silently turns "deny" into "allow" would make the emulation lie.
 * Every list a file can grow is capped (policy.h) and a line is parsed from a
 * bounded copy.
 *
 * PAN-OS behaviour followed here (PAN-OS admin guide, "Traffic Logs" and
 * "Traffic Log Fields"): a session that a rule blocks before the application
 * is known is logged with application not-applicable, subtype drop; blocked
 * after App-ID, with the application and subtype deny; either way the
 * session end reason is policy-deny and the Action field is the rule's
 * action (deny, drop, reset-client, reset-server, reset-both): a firewall
 * logs its own policy resets as policy-deny, not as tcp-rst-from-*.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rstscope/decode.h>
#include <rstscope/panlog.h>
#include <rstscope/policy.h>

#include "util/str.h"

struct net {
    struct rs_addr a;
    unsigned plen; /* prefix length in the 128-bit (v4-mapped) space */
};

struct prange {
    uint16_t lo, hi;
};

struct list {
    void *v;
    size_t n;
};

#define PROTO_ANY (-1)
#define PROTO_ICMP_ANY 256 /* "icmp": ICMP and ICMPv6 */

struct rule {
    enum rs_policy_action action;
    unsigned line;
    char name[64];
    int proto;
    struct list src, dst;     /* struct net; n == 0: any */
    struct list sport, dport; /* struct prange */
    struct list app;          /* char[32] canonical App-ID names */
};

struct rs_policy {
    struct rule *rules;
    size_t n, cap;
    int non_syn_reject;
};

static const char *const action_names[] = {
    [RS_POLICY_ALLOW] = "allow",
    [RS_POLICY_DENY] = "deny",
    [RS_POLICY_DROP] = "drop",
    [RS_POLICY_RESET_CLIENT] = "reset-client",
    [RS_POLICY_RESET_SERVER] = "reset-server",
    [RS_POLICY_RESET_BOTH] = "reset-both",
};

const char *
rs_policy_action_name(enum rs_policy_action a)
{
    if ((unsigned)a >= sizeof action_names / sizeof action_names[0])
        return "allow";
    return action_names[a];
}

static void
rule_free(struct rule *r)
{
    free(r->src.v);
    free(r->dst.v);
    free(r->sport.v);
    free(r->dport.v);
    free(r->app.v);
}

void
rs_policy_free(struct rs_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        rule_free(&p->rules[i]);
    free(p->rules);
    free(p);
}

size_t
rs_policy_rule_count(const struct rs_policy *p)
{
    return p ? p->n : 0;
}

int
rs_policy_non_syn_reject(const struct rs_policy *p)
{
    return p && p->non_syn_reject;
}

/* ---- parsing ---- */

struct pctx {
    const char *name;
    unsigned line;
    struct rs_error *err;
};

#define PERR(c, ...) perr_at((c), __VA_ARGS__)

__attribute__((format(printf, 2, 3))) static int
perr_at(const struct pctx *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rs_error_set(c->err, RS_ERR_USAGE, "%s:%u: %s", c->name, c->line, msg);
}

static int
list_push(struct list *l, const void *item, size_t size)
{
    /* Grow by doubling from 4; lists are per rule and small. */
    size_t n = l->n;
    if ((n & (n - 1)) == 0 && (n == 0 || n >= 4)) {
        size_t cap = n == 0 ? 4 : n * 2;
        void *v = realloc(l->v, cap * size);
        if (!v)
            return RS_ERR_NOMEM;
        l->v = v;
    }
    memcpy((char *)l->v + n * size, item, size);
    l->n = n + 1;
    return 0;
}

static int
is_any(const char *s)
{
    return strcmp(s, "any") == 0;
}

static int
parse_net(const struct pctx *c, const char *key, char *tok, struct list *out)
{
    struct net nt;
    char *slash = strchr(tok, '/');
    long plen = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        errno = 0;
        plen = strtol(slash + 1, &end, 10);
        if (errno || *end || slash[1] == '\0' || plen < 0)
            return PERR(c, "%s: bad prefix length in '%s/%s'", key, tok, slash + 1);
    }
    if (rs_addr_parse(&nt.a, tok) != 0)
        return PERR(c, "%s: '%s' is not an IPv4 or IPv6 address", key, tok);
    int v4 = rs_addr_is_v4(&nt.a);
    long max = v4 ? 32 : 128;
    if (plen > max)
        return PERR(c, "%s: prefix length /%ld is longer than %ld", key, plen, max);
    nt.plen = (unsigned)((plen < 0 ? max : plen) + (v4 ? 96 : 0));
    /* Host bits set (10.1.2.3/8) are cleared, as PAN-OS address objects do. */
    for (unsigned b = nt.plen; b < 128; b++)
        nt.a.b[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
    return list_push(out, &nt, sizeof nt) ? rs_error_set(c->err, RS_ERR_NOMEM, "out of memory") : 0;
}

static int
parse_port(const char *s, uint16_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 65535)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

static int
parse_prange(const struct pctx *c, const char *key, char *tok, struct list *out)
{
    struct prange pr;
    char *dash = strchr(tok, '-');
    if (dash)
        *dash = '\0';
    if (parse_port(tok, &pr.lo) != 0 || (dash && parse_port(dash + 1, &pr.hi) != 0))
        return PERR(c, "%s: '%s%s%s' is not a port or range (0-65535, e.g. 8000-8099)", key, tok,
                    dash ? "-" : "", dash ? dash + 1 : "");
    if (!dash)
        pr.hi = pr.lo;
    if (pr.hi < pr.lo)
        return PERR(c, "%s: range %u-%u runs backwards", key, pr.lo, pr.hi);
    return list_push(out, &pr, sizeof pr) ? rs_error_set(c->err, RS_ERR_NOMEM, "out of memory") : 0;
}

static int
parse_app(const struct pctx *c, const char *key, char *tok, struct list *out)
{
    char canon[32];
    size_t n = strlen(tok);
    if (n == 0 || n >= sizeof canon)
        return PERR(c, "%s: '%s' is not an application name", key, tok);
    for (size_t i = 0; i < n; i++) {
        char ch = tok[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return PERR(c, "%s: '%s' is not an application name", key, tok);
    }
    memset(canon, 0, sizeof canon);
    rs_panos_app_canon(tok, n, canon, sizeof canon);
    return list_push(out, canon, sizeof canon) ? rs_error_set(c->err, RS_ERR_NOMEM, "out of memory")
                                               : 0;
}

typedef int (*item_fn)(const struct pctx *, const char *, char *, struct list *);

/* A comma-separated list, or "any" alone (left empty: matches anything). */
static int
parse_list(const struct pctx *c, const char *key, char *val, item_fn fn, struct list *out)
{
    if (*val == '\0')
        return PERR(c, "%s: empty value (use %s=any, or leave it out)", key, key);
    if (is_any(val))
        return 0;
    for (char *tok = val; tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*tok == '\0')
            return PERR(c, "%s: empty item in the list", key);
        if (is_any(tok))
            return PERR(c, "%s: 'any' cannot be part of a list", key);
        int rc = fn(c, key, tok, out);
        if (rc)
            return rc;
        tok = comma ? comma + 1 : NULL;
    }
    return 0;
}

static int
parse_proto(const struct pctx *c, const char *val, int *out)
{
    if (is_any(val)) {
        *out = PROTO_ANY;
        return 0;
    }
    if (strcmp(val, "icmp") == 0) {
        *out = PROTO_ICMP_ANY;
        return 0;
    }
    int p = rs_panos_proto_parse(val, strlen(val));
    if (p < 0)
        return PERR(c, "proto: '%s' is not a protocol (any, tcp, udp, icmp, ipv6-icmp, or 0-255)",
                    val);
    *out = p;
    return 0;
}

static int
valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.'))
            return 0;
    }
    return 1;
}

static int
parse_action(const char *s, enum rs_policy_action *a)
{
    for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++) {
        if (strcmp(s, action_names[i]) == 0) {
            *a = (enum rs_policy_action)i;
            return 0;
        }
    }
    return -1;
}

/* Splits at blanks; returns the next token (NUL-terminated in place) or NULL. */
static char *
next_tok(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return NULL;
    char *t = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return t;
}

static int
parse_rule(struct rs_policy *p, const struct pctx *c, enum rs_policy_action action, char *rest)
{
    struct rule r;
    memset(&r, 0, sizeof r);
    r.action = action;
    r.line = c->line;
    r.proto = PROTO_ANY;
    unsigned seen = 0;
    static const char *const keys[] = {"src", "dst", "proto", "sport", "dport", "app", "name"};
    int rc = 0;
    char *tok;

    while ((tok = next_tok(&rest)) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            rc = PERR(c,
                      "expected KEY=VALUE, got '%s' (keys: src, dst, proto, sport, dport, app, "
                      "name)",
                      tok);
            goto err;
        }
        *eq = '\0';
        char *val = eq + 1;
        size_t k;
        for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strcmp(tok, keys[k]) == 0)
                break;
        if (k == sizeof keys / sizeof keys[0]) {
            rc = PERR(c, "unknown key '%s' (src, dst, proto, sport, dport, app, name)", tok);
            goto err;
        }
        if (seen & (1u << k)) {
            rc = PERR(c, "'%s' given twice (one %s= with a comma-separated list)", tok, tok);
            goto err;
        }
        seen |= 1u << k;
        switch (k) {
        case 0:
            rc = parse_list(c, "src", val, parse_net, &r.src);
            break;
        case 1:
            rc = parse_list(c, "dst", val, parse_net, &r.dst);
            break;
        case 2:
            rc = parse_proto(c, val, &r.proto);
            break;
        case 3:
            rc = parse_list(c, "sport", val, parse_prange, &r.sport);
            break;
        case 4:
            rc = parse_list(c, "dport", val, parse_prange, &r.dport);
            break;
        case 5:
            rc = parse_list(c, "app", val, parse_app, &r.app);
            break;
        default:
            if (!valid_name(val)) {
                rc = PERR(c, "name: '%s' is not a rule name (1-63 letters, digits, '.', '_', '-')",
                          val);
                break;
            }
            rs_str_copy(r.name, sizeof r.name, val);
            break;
        }
        if (rc)
            goto err;
    }
    if (!r.name[0])
        snprintf(r.name, sizeof r.name, "rule-%zu", p->n + 1);
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->rules[i].name, r.name) == 0) {
            rc = PERR(c, "rule name '%s' is already used on line %u", r.name, p->rules[i].line);
            goto err;
        }
    }
    if (p->n >= RS_POLICY_MAX_RULES) {
        rc = PERR(c, "more than %d rules", RS_POLICY_MAX_RULES);
        goto err;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct rule *v = realloc(p->rules, cap * sizeof *v);
        if (!v) {
            rc = rs_error_set(c->err, RS_ERR_NOMEM, "out of memory");
            goto err;
        }
        p->rules = v;
        p->cap = cap;
    }
    p->rules[p->n++] = r;
    return 0;

err:
    rule_free(&r);
    return rc;
}

static int
parse_line(struct rs_policy *p, const struct pctx *c, char *s)
{
    char *hash = strchr(s, '#');
    if (hash)
        *hash = '\0';
    char *rest = s;
    char *first = next_tok(&rest);
    if (!first)
        return 0;
    if (strcmp(first, "non-syn-tcp") == 0) {
        char *v = next_tok(&rest);
        if (!v || next_tok(&rest))
            return PERR(c, "non-syn-tcp takes one value: reject or allow");
        if (strcmp(v, "reject") == 0)
            p->non_syn_reject = 1;
        else if (strcmp(v, "allow") == 0)
            p->non_syn_reject = 0;
        else
            return PERR(c, "non-syn-tcp: '%s' is neither reject nor allow", v);
        return 0;
    }
    enum rs_policy_action a;
    if (parse_action(first, &a) != 0) {
        return PERR(c,
                    "unknown action '%s' (allow, deny, drop, reset-client, reset-server, "
                    "reset-both; or the setting non-syn-tcp)",
                    first);
    }
    return parse_rule(p, c, a, rest);
}

struct rs_policy *
rs_policy_parse(const char *text, size_t len, const char *name, struct rs_error *err)
{
    struct rs_policy *p = calloc(1, sizeof *p);
    char *buf = malloc(RS_POLICY_MAX_LINE + 1);
    struct pctx c = {name ? name : "policy", 0, err};

    if (!p || !buf) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        goto err;
    }
    for (size_t off = 0; off < len;) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t line_len = nl ? (size_t)(nl - (text + off)) : len - off;
        size_t n = line_len;
        c.line++;
        if (n > RS_POLICY_MAX_LINE) {
            PERR(&c, "line longer than %d bytes", RS_POLICY_MAX_LINE);
            goto err;
        }
        memcpy(buf, text + off, n);
        if (n > 0 && buf[n - 1] == '\r')
            n--;
        buf[n] = '\0';
        if (memchr(buf, '\0', n)) {
            PERR(&c, "NUL byte in the line (not a text file?)");
            goto err;
        }
        if (parse_line(p, &c, buf) != 0)
            goto err;
        off += line_len + (nl ? 1 : 0);
    }
    free(buf);
    return p;

err:
    free(buf);
    rs_policy_free(p);
    return NULL;
}

struct rs_policy *
rs_policy_load(const char *path, struct rs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        rs_error_set(err, RS_ERR_INPUT, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *text = malloc(cap);
    struct rs_policy *p = NULL;
    if (!text) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= RS_POLICY_MAX_BYTES) {
                rs_error_set(err, RS_ERR_INPUT, "%s: larger than %u bytes", path,
                             RS_POLICY_MAX_BYTES);
                goto out;
            }
            char *t = realloc(text, cap * 2);
            if (!t) {
                rs_error_set(err, RS_ERR_NOMEM, "out of memory");
                goto out;
            }
            text = t;
            cap *= 2;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rs_error_set(err, RS_ERR_INPUT, "%s: read error", path);
        goto out;
    }
    p = rs_policy_parse(text, len, path, err);
out:
    free(text);
    fclose(f);
    return p;
}

/* ---- matching ---- */

static int
net_match(const struct list *l, const struct rs_addr *a)
{
    if (l->n == 0)
        return 1;
    const struct net *v = l->v;
    for (size_t i = 0; i < l->n; i++) {
        unsigned full = v[i].plen / 8, rem = v[i].plen % 8;
        if (memcmp(v[i].a.b, a->b, full) != 0)
            continue;
        if (rem) {
            uint8_t mask = (uint8_t)(0xffu << (8 - rem));
            if ((v[i].a.b[full] & mask) != (a->b[full] & mask))
                continue;
        }
        return 1;
    }
    return 0;
}

static int
port_match(const struct list *l, uint16_t port)
{
    if (l->n == 0)
        return 1;
    const struct prange *v = l->v;
    for (size_t i = 0; i < l->n; i++)
        if (port >= v[i].lo && port <= v[i].hi)
            return 1;
    return 0;
}

static int
proto_match(int want, uint8_t proto)
{
    if (want == PROTO_ANY)
        return 1;
    if (want == PROTO_ICMP_ANY)
        return proto == 1 || proto == 58;
    return want == proto;
}

static int
app_match(const struct list *l, const char *canon)
{
    if (l->n == 0)
        return 1;
    const char(*v)[32] = l->v;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(v[i], canon) == 0)
            return 1;
    return 0;
}

static int
has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

void
rs_policy_lookup(const struct rs_policy *p, const struct rs_record *r, struct rs_policy_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    hit->action = RS_POLICY_ALLOW;
    hit->rule = "";
    if (!p)
        return;
    if (p->non_syn_reject && r->proto == 6 && !(r->first_flags & RS_TCP_SYN)) {
        hit->matched = 1;
        hit->action = RS_POLICY_DROP;
        hit->non_syn = 1;
        return;
    }
    char app[32];
    rs_panos_app(r, app, sizeof app);
    /* ICMP "ports" in a record are type and code: a port criterion never
     * matches them, as a firewall rule's service never matches ICMP. */
    int ports = has_ports(r->proto);
    for (size_t i = 0; i < p->n; i++) {
        const struct rule *u = &p->rules[i];
        if (!proto_match(u->proto, r->proto))
            continue;
        if (!net_match(&u->src, &r->client) || !net_match(&u->dst, &r->server))
            continue;
        if ((u->sport.n || u->dport.n) && !ports)
            continue;
        if (!port_match(&u->sport, r->client_port) || !port_match(&u->dport, r->server_port))
            continue;
        if (!app_match(&u->app, app))
            continue;
        hit->matched = 1;
        hit->action = u->action;
        hit->rule = u->name;
        hit->line = u->line;
        hit->after_appid = u->app.n > 0;
        return;
    }
}

/* snprintf for sentences that may be cut to the record's fixed arrays. */
__attribute__((format(printf, 3, 4))) static void
say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static void
endpoint(const struct rs_addr *a, uint16_t port, char *buf, size_t len)
{
    char t[64];
    rs_addr_format(a, t, sizeof t);
    if (rs_addr_is_v4(a))
        snprintf(buf, len, "%s:%u", t, port);
    else
        snprintf(buf, len, "[%s]:%u", t, port);
}

void
rs_policy_apply(const struct rs_policy *p, struct rs_record *r)
{
    struct rs_policy_hit hit;
    rs_policy_lookup(p, r, &hit);
    if (!p)
        return;
    rs_str_copy(r->action, sizeof r->action, rs_policy_action_name(hit.action));
    rs_str_copy(r->rule, sizeof r->rule, hit.rule);
    if (hit.action == RS_POLICY_ALLOW)
        return;

    /* What the capture itself shows, kept in the explanation. */
    char was[96], cli[80], srv[80];
    say(was, sizeof was, "%s, app %s%s%s", rs_end_reason_name(r->end_reason),
        r->app[0] ? r->app : "(none)", r->rst_cause[0] ? ", " : "", r->rst_cause);
    endpoint(&r->client, r->client_port, cli, sizeof cli);
    endpoint(&r->server, r->server_port, srv, sizeof srv);

    r->end_reason = RS_END_POLICY_DENY;
    r->rst_flags = 0;
    r->inflight_client_bytes = r->inflight_server_bytes = 0;

    if (hit.non_syn) {
        r->rst_by = RS_RST_BY_NONE;
        r->rst_cause[0] = '\0';
        r->rst_confidence = RS_CONF_NONE;
        say(r->explanation, sizeof r->explanation,
            "Policy emulation: the session's first packet (%s -> %s) was not a SYN and "
            "non-syn-tcp is reject: the firewall drops such packets without creating a "
            "session and writes no traffic log. The capture shows: %s.",
            cli, srv, was);
        say(r->hint, sizeof r->hint,
            "Asymmetric routing or a session older than the firewall's state (failover, "
            "reboot); PAN-OS counts these drops as flow_tcp_non_syn_drop.");
        return;
    }
    if (!hit.after_appid)
        snprintf(r->app, sizeof r->app, "not-applicable");

    const char *what;
    switch (hit.action) {
    case RS_POLICY_RESET_CLIENT:
        r->rst_by = RS_RST_BY_SERVER;
        what = "sends a RST to the client in the server's name";
        break;
    case RS_POLICY_RESET_SERVER:
        r->rst_by = RS_RST_BY_CLIENT;
        what = "sends a RST to the server in the client's name";
        break;
    case RS_POLICY_RESET_BOTH:
        r->rst_by = RS_RST_BY_BOTH;
        what = "sends a RST to each side in the other's name";
        break;
    case RS_POLICY_DROP:
        r->rst_by = RS_RST_BY_NONE;
        what = "silently discards the session's packets";
        break;
    default:
        r->rst_by = RS_RST_BY_NONE;
        what = "blocks the session";
        break;
    }
    if (r->proto != 6 && r->rst_by != RS_RST_BY_NONE) {
        /* Only TCP has a RST; for other protocols a reset action blocks
         * (PAN-OS may answer UDP with an ICMP unreachable). */
        r->rst_by = RS_RST_BY_NONE;
        what = "blocks the session (a reset action has no RST outside TCP)";
    }
    if (r->rst_by != RS_RST_BY_NONE) {
        snprintf(r->rst_cause, sizeof r->rst_cause, "policy_reject");
        r->rst_confidence = RS_CONF_HIGH;
    } else {
        r->rst_cause[0] = '\0';
        r->rst_confidence = RS_CONF_NONE;
    }
    say(r->explanation, sizeof r->explanation,
        "Policy emulation: rule '%s' (line %u, %s) matched %s %s -> %s %s: the firewall "
        "%s. The capture shows: %s.",
        hit.rule, hit.line, rs_policy_action_name(hit.action),
        hit.after_appid ? "the identified application of" : "the first packet of", cli, srv,
        hit.after_appid ? "after App-ID" : "before App-ID", what, was);
    say(r->hint, sizeof r->hint,
        "Emulated by --policy: change or reorder rule '%s' if this traffic should pass.", hit.rule);
}
