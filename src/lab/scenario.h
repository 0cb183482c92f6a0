/*
 * scenario.h - the lab's scenario table (internal to src/lab/).
 *
 * A scenario is a short socket script (scenarios.c) plus the sessions it
 * must leave in the capture, each with the labels SPEC §3 and Zeek give it.
 * lab.c gives each run its addresses and ports, runs the scripts while
 * capturing, and matches records to the declared sessions by tuple.
 */
#ifndef RS_LAB_SCENARIO_H
#define RS_LAB_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define RS_LAB_MAX_SESS 3
#define RS_LAB_MAX_CPORTS 4
#define RS_LAB_MAX_DEFER 8

/* Timers a scenario's verdict depends on: the lab must go on past them. */
#define RS_LAB_TMR_TCP_INIT 0x1u
#define RS_LAB_TMR_TCP_EST 0x2u
#define RS_LAB_TMR_UDP 0x4u
#define RS_LAB_TMR_ICMP 0x8u

/* One session a scenario declares. */
struct rs_lab_sess_def {
    const char *role; /* "" when it is the scenario's only session */
    uint8_t proto;    /* 6 or 17; 1 or 58: the ICMP port unreachable the server host sent */
    uint8_t cport;    /* which of the scenario's client ports (0..RS_LAB_MAX_CPORTS-1) */
    uint8_t nth;      /* 0: first session on that tuple, 1: the next one (tcp-reuse) */
    const char *end_reason;
    const char *app;
    const char *conn_state;
    const char *rst_by;    /* "", "client", "server", "both" */
    const char *rst_cause; /* SPEC §6 code; checked only with check_cause */
};

struct rs_lab_ctx;

struct rs_lab_scn {
    const char *name;
    const char *summary;
    int family;      /* 4 or 6 */
    unsigned timers; /* RS_LAB_TMR_* */
    int (*run)(struct rs_lab_ctx *x);
    struct rs_lab_sess_def sess[RS_LAB_MAX_SESS];
};

/* What lab.c hands a script, and what the script leaves for the matcher. */
struct rs_lab_ctx {
    const struct rs_lab_scn *scn;
    int family;
    char cli[48];                      /* client address literal */
    char srv[48];                      /* server address literal */
    uint16_t sport;                    /* server port; a script may change it (udp-dns) */
    uint16_t cport[RS_LAB_MAX_CPORTS]; /* client ports, bound explicitly */
    int defer[RS_LAB_MAX_DEFER];       /* fds to close only after the capture ended */
    size_t n_defer;
    uint32_t rng;   /* payload generator state */
    char note[256]; /* first thing that went wrong, "" if none */
};

extern const struct rs_lab_scn rs_lab_scns[];
extern const size_t rs_lab_n_scns;

size_t rs_lab_scn_n_sess(const struct rs_lab_scn *s);

#endif
