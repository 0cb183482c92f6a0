/*
 * ipfix_int.h - what the encoder (ipfix.c) and the sockets (ipfix_net.c)
 * share. Not public.
 */
#ifndef RS_IPFIX_INT_H
#define RS_IPFIX_INT_H

#include <rstscope/ipfix.h>

struct rs_ipfix {
    enum rs_ipfix_transport transport;
    struct rs_ipfix_opts opts;
    rs_ipfix_send_fn send;
    void *user;

    uint8_t *msg;     /* the message being built, opts.max_message bytes */
    size_t len;       /* bytes used; 0 = no message started */
    size_t set_off;   /* offset of the open data set's header; 0 = none */
    uint16_t set_tid; /* its template */
    uint32_t msg_records;

    uint64_t seq;       /* data records handed on before this message */
    int templates_sent; /* at least once (TCP: once is all) */
    unsigned msgs_since_templates;
    rs_time_ns templates_at;     /* wall clock of the last template message */
    int failed;                  /* TCP: the stream broke; nothing more is sent */
    struct rs_error first_error; /* why the first message was lost */
    struct rs_ipfix_stats st;

    /* rs_ipfix_open's socket; -1 with a caller's send function. */
    int fd;
    char target[300];
};

/* ipfix_net.c: the send function for x->fd. */
int rs_ipfix_sock_send(const uint8_t *msg, size_t len, void *user, struct rs_error *err);

#endif
