/*
 * rstscope/lab.h - reproducing session endings with real kernel sockets.
 *
 * Three tools share this module:
 *
 *  - the lab (rs_lab_run): scenarios that make the kernel end TCP/UDP
 *    sessions in every way SPEC §3 names (FIN, client/server RST, refused,
 *    SYN timeout, reuse, aged-out, ICMP unreachable...), captured live on the
 *    loopback interface, analysed with the ordinary engine, and compared with
 *    what each scenario declares it must produce. Scenarios only ever use
 *    loopback addresses: 127.R.k.1 (client) and 127.R.k.2 (server), with one
 *    k per scenario and R chosen at random per run (so that sessions can be
 *    told apart and two labs running at once do not see each other), and ::1
 *    for the IPv6 variants (told apart by port).
 *  - send-rst (rs_send_rst): the client half on its own. Connects to any
 *    host the user names, optionally sends a payload, waits, and closes
 *    abortively (SO_LINGER {1, 0}), so that the kernel sends a RST.
 *  - serve-rst (rs_serve_rst): the server half. Accepts connections and
 *    resets each in one of four ways.
 *
 * Errors follow common.h: 0 or a negative enum rs_err, message in the
 * caller's struct rs_error. Nothing here installs signal handlers; writes use
 * MSG_NOSIGNAL, so a peer's reset never raises SIGPIPE.
 */
#ifndef RSTSCOPE_LAB_H
#define RSTSCOPE_LAB_H

#include <signal.h>
#include <stddef.h>

#include <rstscope/common.h>
#include <rstscope/record.h>

/* ---- the lab ------------------------------------------------------------ */

/*
 * The session timers the lab analyses its capture with (rs_timeouts_parse
 * syntax). Short, so that the timer-driven endings (aged-out, S0) happen
 * within a lab run of a few seconds; half-closed and time-wait stay longer
 * than any pause inside a scenario (tcp-reuse reconnects within 0.3 s).
 * Re-analysing a lab capture with `analyze --timeouts=RS_LAB_TIMEOUTS` gives
 * the same labels.
 */
#define RS_LAB_TIMEOUTS                                                                            \
    "tcp=1.5,tcp-init=1,tcp-handshake=1.5,tcp-half-closed=3,tcp-time-wait=3,udp=1,icmp=1,other=1"

/* The labels a session is checked on. "" is an empty label (no rst_by). */
struct rs_lab_labels {
    char end_reason[24];
    char app[24];
    char conn_state[8];
    char rst_by[8];
    char rst_cause[32];
};

struct rs_lab_scenario_info {
    const char *name;    /* "fin", "client-rst", ..., "fin-v6" */
    const char *summary; /* one line: what the sockets do */
    int family;          /* 4 or 6 */
    size_t n_sessions;   /* sessions it declares (1 to 3) */
};

/* Number of scenarios, and each one's description in table order (i < count). */
size_t rs_lab_scenario_count(void);
const struct rs_lab_scenario_info *rs_lab_scenario_get(size_t i);
/* Index of the scenario called `name`, or -1. */
int rs_lab_scenario_find(const char *name);

/*
 * A scenario's expected sessions: `role` names each ("" when the scenario has
 * one session; "first"/"second", "attempt"/"filler", "udp"/"icmp" otherwise)
 * and `expect` the labels SPEC §3 and Zeek give it. i < info->n_sessions.
 * Returns 0, or RS_ERR_USAGE when an index is out of range.
 */
int rs_lab_scenario_expect(size_t scenario, size_t i, const char **role,
                           struct rs_lab_labels *expect);

struct rs_lab_opts {
    const char *const *scenarios; /* names to run; NULL or n_scenarios 0: all */
    size_t n_scenarios;
    const char *iface;     /* capture interface; NULL: "lo" */
    const char *dump_path; /* also write the capture here (pcap); NULL: none */
    const char *timeouts;  /* NULL: RS_LAB_TIMEOUTS */
    int check_cause;       /* also compare rst_cause (off until the engine diagnoses) */
};

/* One checked session: a scenario's expectation and what the analysis gave. */
struct rs_lab_row {
    const char *scenario; /* static name */
    const char *role;     /* static: "" or the session's role, see above */
    int unexpected;       /* a session in the scenario's addresses that no expectation names */
    int found;            /* the session was in the capture; rec and got are valid */
    int ok;               /* found, and every checked label matched */
    struct rs_lab_labels expected;
    struct rs_lab_labels got;
    struct rs_record rec; /* the whole record, when found */
    char note[256];       /* what went wrong running the scenario, or "" */
};

struct rs_lab_report {
    struct rs_lab_row *rows; /* in scenario table order */
    size_t n_rows;
    size_t n_failed;       /* rows with ok == 0 */
    size_t n_scenarios;    /* scenarios run */
    uint64_t packets;      /* frames captured (and analysed) */
    uint64_t dropped;      /* dropped by the kernel for lack of buffer space */
    uint64_t if_dropped;   /* dropped by the interface */
    int capture_truncated; /* the capture ended before the lab's last packet */
    double seconds;        /* wall time of the socket part */
    char timeouts[160];    /* the timers used, rs_timeouts_parse syntax */
    char filter[256];      /* the BPF filter the capture used */
};

/*
 * Runs the selected scenarios (all of them when none is named) with real
 * sockets while capturing on the loopback interface, analyses the capture
 * with a panos-profile engine using opts->timeouts, and checks each declared
 * session. On success (the lab ran; individual checks may have failed: see
 * report->n_failed) returns 0 and *out, to be freed with
 * rs_lab_report_free. A scenario whose sockets misbehave (bind refused, a
 * timeout) fails with a note; it does not stop the lab. Takes a few
 * seconds: the timer-driven scenarios need the lab to go on past their
 * timers. Errors: RS_ERR_USAGE (unknown scenario name, bad timeouts),
 * RS_ERR_PERM (no permission to capture: the message says to run as root or
 * to grant CAP_NET_RAW with setcap), RS_ERR_INPUT (the interface cannot be
 * captured on), RS_ERR_OUTPUT (dump_path cannot be written), RS_ERR_NOMEM,
 * RS_ERR_INTERNAL.
 */
int rs_lab_run(const struct rs_lab_opts *opts, struct rs_lab_report **out, struct rs_error *err);

void rs_lab_report_free(struct rs_lab_report *r);

/* "end_reason app conn_state rst_by" with "-" for empty labels (and rst_cause
 * when with_cause), for tables. Returns the length written. */
size_t rs_lab_labels_format(const struct rs_lab_labels *l, int with_cause, char *buf, size_t len);

/* ---- send-rst: the client half ------------------------------------------ */

enum rs_send_outcome {
    RS_SEND_RESET_SENT = 0, /* connected, then aborted: our kernel sent a RST */
    RS_SEND_PEER_RESET,     /* connected, but the peer reset first: nothing left to abort */
    RS_SEND_REFUSED,        /* the SYN was answered by a RST (closed port, or a reject rule) */
    RS_SEND_UNREACHABLE,    /* ICMP unreachable, or no route */
    RS_SEND_TIMEOUT,        /* no answer to the SYN within the connect timeout */
    RS_SEND_RESOLVE,        /* the host name did not resolve */
    RS_SEND_ERROR,          /* another socket error; see detail */
};
const char *rs_send_outcome_name(enum rs_send_outcome o); /* "reset-sent", "refused", ... */

struct rs_send_rst_opts {
    const char *host;    /* name or address literal */
    const char *port;    /* number or service name */
    int family;          /* 0: whatever the name resolves to first; 4 or 6 */
    const void *payload; /* sent once connected; NULL: nothing */
    size_t payload_len;
    unsigned after_ms;           /* wait this long (reading) before the reset */
    unsigned connect_timeout_ms; /* 0: 5000 */
    /* Called once connected, before the payload is sent (may be NULL). */
    void (*on_connect)(const char *local, const char *peer, double connect_ms, void *user);
    void *user;
};

struct rs_send_rst_result {
    enum rs_send_outcome outcome;
    char local[64]; /* "127.0.0.1:41234" or "[::1]:41234"; "" before connecting */
    char peer[64];
    double connect_ms; /* SYN to established */
    uint64_t bytes_sent;
    uint64_t bytes_received;
    int peer_fin;         /* the peer closed its side (FIN) while we waited */
    double peer_reset_ms; /* PEER_RESET: when, after connecting */
    char detail[160];     /* strerror text of the failure, or "" */
};

/*
 * Connects to host:port (trying each resolved address until one answers),
 * sends the payload, waits opts->after_ms reading whatever arrives, then
 * closes with SO_LINGER {1, 0}. Returns 0 once connected (outcome
 * RESET_SENT or PEER_RESET; a RST that lands before the connect completes
 * counts as PEER_RESET); RS_ERR_INPUT when no connection could be made
 * (outcome REFUSED, UNREACHABLE, TIMEOUT, RESOLVE or ERROR; err's message
 * starts with rs_send_outcome_name and names the address that failed);
 * RS_ERR_USAGE for a bad port or family.
 */
int rs_send_rst(const struct rs_send_rst_opts *opts, struct rs_send_rst_result *res,
                struct rs_error *err);

/* ---- serve-rst: the server half ----------------------------------------- */

enum rs_serve_mode {
    RS_SERVE_IMMEDIATE = 0,    /* accept, then abort at once: RST right after the handshake */
    RS_SERVE_AFTER_REQUEST,    /* read the first request, then abort */
    RS_SERVE_UNREAD,           /* let the request arrive, never read it, close(): kernel RST */
    RS_SERVE_PARTIAL_RESPONSE, /* read the request, send part of a response, abort */
};
/* "immediate", "after-request", "unread", "partial-response"; -1 if unknown. */
int rs_serve_mode_parse(const char *name);
const char *rs_serve_mode_name(enum rs_serve_mode m);

/* What happened to one connection (valid during the callback). */
struct rs_serve_conn {
    unsigned number; /* 1-based */
    char peer[64];
    char local[64];
    uint64_t bytes_read;
    uint64_t bytes_written;
    unsigned request_bytes_waiting; /* unread bytes in the receive queue at close */
    const char *closed;             /* how it was closed, one phrase */
    int reset_sent;                 /* our side sent the RST */
    double ms;                      /* accept to close */
};

struct rs_serve_rst_opts {
    const char *listen; /* "ADDR:PORT", "[V6ADDR]:PORT" or "PORT"; NULL: 127.0.0.1:8080 */
    enum rs_serve_mode mode;
    unsigned count;              /* exit after this many connections; 0: until *stop */
    unsigned request_wait_ms;    /* how long to wait for a request; 0: 5000 */
    volatile sig_atomic_t *stop; /* polled at least every 200 ms; may be NULL */
    void (*on_listen)(const char *addr, void *user);
    void (*on_conn)(const struct rs_serve_conn *c, void *user);
    void *user;
};

/*
 * Listens on opts->listen and serves connections one at a time, each
 * closed the way opts->mode says, until `count` connections were served or
 * *stop became non-zero. Returns 0; RS_ERR_USAGE for a bad listen address;
 * RS_ERR_INPUT when the address cannot be bound (in use, not local, no
 * permission for a port below 1024); RS_ERR_INTERNAL for accept failures.
 */
int rs_serve_rst(const struct rs_serve_rst_opts *opts, struct rs_error *err);

#endif
