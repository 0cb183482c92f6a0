/*
 * field_list.h - the printed fields of a record, once, in SPEC §2 order
 * (not public).
 *
 * An X-macro: the caller passes one macro per kind of field, and gets the
 * list expanded in order. fields.c makes the field table (rs_fields, which
 * csv, the table and the report walk) from it; out_jsonl.c makes its writer
 * from it as straight-line code, each key a constant, with no walk of the
 * table per field. So a field is added here, and appears everywhere with
 * the same name in the same place.
 *
 *   STR(name)               a NUL-padded char array r->name
 *   TIME(name, expr, type)  nanoseconds printed as seconds (RS_FT_TIME or
 *                           RS_FT_DURATION)
 *   NAME(name, expr)        a constant string (an enum's name)
 *   ADDR(name)              an address r->name
 *   NUM(name)               an unsigned number r->name (16 or 64 bits)
 *   FLAGS(name)             the RS_RSTF_* bits r->name, as their names
 */
#ifndef RS_FIELD_LIST_H
#define RS_FIELD_LIST_H

/* clang-format off */
#define RS_FIELD_LIST(STR, TIME, NAME, ADDR, NUM, FLAGS)                  \
    STR(uid)                                                              \
    TIME(ts, r->ts, RS_FT_TIME)                                           \
    TIME(end_ts, r->end_ts, RS_FT_TIME)                                   \
    TIME(duration, rs_record_duration(r), RS_FT_DURATION)                 \
    NAME(proto, rs_proto_name(r->proto))                                  \
    ADDR(client)                                                          \
    NUM(client_port)                                                      \
    ADDR(server)                                                          \
    NUM(server_port)                                                      \
    NAME(end_reason, rs_end_reason_name(r->end_reason))                   \
    STR(app)                                                              \
    STR(conn_state)                                                       \
    STR(history)                                                          \
    NUM(client_pkts)                                                      \
    NUM(client_bytes)                                                     \
    NUM(server_pkts)                                                      \
    NUM(server_bytes)                                                     \
    NUM(client_ip_bytes)                                                  \
    NUM(server_ip_bytes)                                                  \
    NUM(missed_bytes)                                                     \
    NAME(rst_by, rs_rst_by_name(r->rst_by))                               \
    STR(rst_cause)                                                        \
    NAME(rst_confidence, rs_confidence_name(r->rst_confidence))           \
    FLAGS(rst_flags)                                                      \
    NUM(inflight_client_bytes)                                            \
    NUM(inflight_server_bytes)                                            \
    STR(explanation)                                                      \
    STR(hint)                                                             \
    STR(sni)                                                              \
    STR(http_host)                                                        \
    STR(action)                                                           \
    STR(rule)
/* clang-format on */

#endif
