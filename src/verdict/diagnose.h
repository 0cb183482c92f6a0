/*
 * diagnose.h - why each reset happened (SPEC §6), internal.
 *
 * Two halves: rs_diag_packet collects, per TCP segment, the few facts the
 * rules need (handshake times for the RTT, per-sender TTL and IP-ID, the
 * segment each RST answered, retransmissions, keepalives, FINs, data order);
 * rs_diag_classify runs the rules in SPEC order when the record is built.
 * A small host table remembers, across sessions, each address's hop
 * distance and RTT, so a reset that claims to come from a server can be
 * compared with the server's other packets (policy_reject).
 */
#ifndef RS_VERDICT_DIAGNOSE_H
#define RS_VERDICT_DIAGNOSE_H

#include <rstscope/decode.h>
#include <rstscope/record.h>

#include "flow/flow.h"

#define RS_HOSTS_SLOTS 4096

struct rs_host_info {
    struct rs_addr addr;
    uint8_t ttl; /* TTL of a non-RST packet from this host */
    uint8_t valid;
    rs_time_ns rtt; /* capture point -> host -> capture point, 0 unknown */
};

struct rs_hosts {
    struct rs_host_info slot[RS_HOSTS_SLOTS];
    uint64_t seed;
};

/*
 * The pool of struct rs_diag_ext (flow.h): slabs of a few dozen, a free
 * list, nothing returned to the system until the pool is freed. Memory
 * follows the sessions open at once that had a rare event.
 */
struct rs_diag_pool;
struct rs_diag_pool *rs_diag_pool_new(void);
void rs_diag_pool_free(struct rs_diag_pool *p);
/* Returns a flow's rare-event facts to the pool (the flow is being released). */
void rs_diag_release(struct rs_diag_pool *p, struct rs_flow *f);

/* Records facts from one TCP segment of `side` (after the TCP state update).
 * When the pool cannot grow, the rare-event facts are not recorded (the
 * counts stay consistent with what was kept). */
void rs_diag_packet(struct rs_flow *f, int side, const struct rs_layer *l, uint64_t pkt_no,
                    rs_time_ns now, uint8_t rst_accept, struct rs_hosts *hosts,
                    struct rs_diag_pool *pool);

/* Fills rst_cause, rst_confidence, rst_flags, explanation and hint. */
void rs_diag_classify(const struct rs_flow *f, const struct rs_hosts *hosts, struct rs_record *r);

/* Initial TTL guess (32, 64, 128, 255) minus the observed TTL: hops away. */
int rs_hop_distance(uint8_t ttl);

#endif
