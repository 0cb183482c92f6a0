/*
 * rstscope/policy.h - firewall policy emulation (`--policy=FILE`).
 *
 * A capture cannot show what a firewall decided; a rule list can say what it
 * would have decided. The policy is an ordered list of rules, first match
 * wins, plus the firewall's non-SYN TCP setting. The file syntax (docs/panos.md):
 *
 *   # comment
 *   non-syn-tcp reject|allow            # default allow
 *   ACTION [src=NETS] [dst=NETS] [proto=P] [sport=PORTS] [dport=PORTS] [app=APPS] [name=NAME]
 *
 *   ACTION  allow, deny, drop, reset-client, reset-server, reset-both
 *   NETS    any, or a comma-separated list of addresses and CIDR prefixes
 *           (10.0.0.0/8, 2001:db8::/32, 192.0.2.7)
 *   P       any, tcp, udp, icmp (ICMP and ICMPv6), ipv6-icmp, or a number 0-255
 *   PORTS   any, or a comma-separated list of ports and ranges (22, 8000-8099)
 *   APPS    any, or a comma-separated list of application names, rstscope's
 *           (http, ssl, dns, ...) or App-ID's (web-browsing, ms-rdp, dns-base, ...),
 *           and App-ID states (incomplete, insufficient-data, unknown-tcp, ...)
 *   NAME    the rule name (letters, digits, '.', '_', '-', at most 63); default
 *           "rule-N", N its position
 *
 * src is the session's client (initiator), dst its server. A missing
 * criterion matches anything. A session matching no rule is allowed with an
 * empty rule name (end the list with `deny name=deny-all` for default deny).
 *
 * What a decision does to a record (rs_policy_apply), as PAN-OS logs it:
 *   allow       action "allow", rule name; nothing else changes.
 *   otherwise   end_reason policy-deny, action and rule set. A rule without
 *               app= decides on the first packet, before App-ID: app becomes
 *               "not-applicable". A rule with app= decides after App-ID: the
 *               identified app stays. The firewall's own resets (reset-*) are
 *               labelled as a receiver sees them: reset-client sends a RST to
 *               the client in the server's name (rst_by server), reset-server
 *               to the server in the client's name (rst_by client),
 *               reset-both both; rst_cause is then "policy_reject" with high
 *               confidence, which an endpoint's own reset never gets from the
 *               emulation. deny and drop clear the reset fields.
 *   non-syn-tcp reject: a TCP session whose first packet was not a SYN is
 *               dropped (PAN-OS tcp-reject-non-syn): policy-deny, action
 *               "drop", app "non-syn-tcp", empty rule. A real firewall writes
 *               no traffic log for these; the record is kept so nothing
 *               disappears silently, and the explanation says so.
 * Counts, conn_state and history stay what the capture shows.
 *
 * The decision uses only what is fixed when the session is created (its
 * tuple, orientation and first packet's flags) and, for app= rules, the
 * final App-ID; so the engine applies it once, when the record is built
 * (one branch per session when no policy is loaded, none per packet).
 *
 * A policy is immutable after parsing and may be shared by threads.
 */
#ifndef RSTSCOPE_POLICY_H
#define RSTSCOPE_POLICY_H

#include <stddef.h>

#include <rstscope/common.h>
#include <rstscope/record.h>

enum rs_policy_action {
    RS_POLICY_ALLOW = 0,
    RS_POLICY_DENY,
    RS_POLICY_DROP,
    RS_POLICY_RESET_CLIENT,
    RS_POLICY_RESET_SERVER,
    RS_POLICY_RESET_BOTH,
};
/* "allow", "deny", "drop", "reset-client", "reset-server", "reset-both". */
const char *rs_policy_action_name(enum rs_policy_action a);

/* Caps on what a rule file can grow. */
#define RS_POLICY_MAX_RULES 65536
#define RS_POLICY_MAX_BYTES (16u << 20)
#define RS_POLICY_MAX_LINE 65536

struct rs_policy;

/*
 * Parses rule text (need not be NUL-terminated). `name` prefixes messages.
 * Errors: RS_ERR_USAGE with "NAME:LINE: what is wrong" for the first bad
 * line; RS_ERR_NOMEM.
 */
struct rs_policy *rs_policy_parse(const char *text, size_t len, const char *name,
                                  struct rs_error *err);
/* Reads and parses a file. RS_ERR_INPUT when it cannot be read (or is larger
 * than RS_POLICY_MAX_BYTES), else as rs_policy_parse. */
struct rs_policy *rs_policy_load(const char *path, struct rs_error *err);
void rs_policy_free(struct rs_policy *p);

size_t rs_policy_rule_count(const struct rs_policy *p);
/* 1 if non-syn-tcp is reject. */
int rs_policy_non_syn_reject(const struct rs_policy *p);

/* The decision for one session. */
struct rs_policy_hit {
    int matched;                  /* a rule matched, or the non-SYN setting rejected */
    enum rs_policy_action action; /* RS_POLICY_ALLOW when nothing matched */
    const char *rule;             /* rule name ("" for none); valid while the policy lives */
    unsigned line;                /* line of the rule in the file, 0 for none */
    int after_appid;              /* the rule names applications */
    int non_syn;                  /* decided by the non-syn-tcp setting */
};

/* Finds the decision for the session of `r` (as built by the engine). */
void rs_policy_lookup(const struct rs_policy *p, const struct rs_record *r,
                      struct rs_policy_hit *hit);

/* Looks up and rewrites the firewall-view fields of `r` (see above). */
void rs_policy_apply(const struct rs_policy *p, struct rs_record *r);

#endif
