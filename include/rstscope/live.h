/*
 * rstscope/live.h - live analysis: capture on an interface and deliver a
 * record as each session ends (SPEC §1, `rstscope live`).
 *
 *   struct rs_live *l = rs_live_open(&opts, on_record, user, &err);
 *   // SIGINT/SIGTERM handlers call rs_live_stop(l)
 *   rc = rs_live_run(l, &err);   // until stopped; then every open session's record
 *   rs_live_stats(l, &st);       // packets, sessions, libpcap's drop counters
 *   rs_live_close(l);
 *
 * It is the capture -> engine loop of `analyze` plus two things only a live
 * input needs:
 *  - Timers on the wall clock when idle. Offline, timers run on packet time
 *    (SPEC §4). Live, a session whose peers went quiet would never age out
 *    if nothing else arrived, so whenever the capture's read timeout passes
 *    without a packet the engine is advanced to the wall clock
 *    (CLOCK_REALTIME: the clock the kernel stamps packets with, so the two
 *    compare). Traffic itself still drives time when there is any.
 *  - A clean end. rs_live_stop (async-signal-safe) makes rs_live_run leave
 *    the capture loop at once; it then finishes the engine, so every session
 *    still open gets its record (end_reason open, or aged-out if its timer ran
 *    out) before rs_live_run returns.
 *
 * Records go to the callback as in rs_engine_new: the pointer is valid only
 * during the call, which runs on the thread that called rs_live_run. The
 * callback may call rs_live_stop (e.g. when its output failed).
 *
 * This module installs no signal handlers; the caller does (see
 * src/cli/live.c). Errors follow common.h.
 */
#ifndef RSTSCOPE_LIVE_H
#define RSTSCOPE_LIVE_H

#include <rstscope/capture.h>
#include <rstscope/common.h>
#include <rstscope/engine.h>

struct rs_live_opts {
    const char *iface;     /* required: "eth0", "lo", "any", ... */
    const char *filter;    /* BPF expression set in the kernel; NULL or "": none */
    const char *dump_path; /* also write every captured packet here (pcap); NULL: none */
    int promisc;           /* put the interface in promiscuous mode */
    int timeout_ms;        /* idle tick: the capture's read timeout; 0: 100 */
    /* Engine settings: start from rs_engine_config_default. */
    struct rs_engine_config engine;
};

struct rs_live;

/*
 * Opens the capture (and the dump file) and creates the engine; no packet is
 * read yet. The strings in opts are copied or used only here.
 * Errors: RS_ERR_PERM (no permission to capture: the message says to run as
 * root or grant the capability with setcap), RS_ERR_INPUT (no such
 * interface, interface down, other capture failures), RS_ERR_USAGE (no
 * interface, bad filter), RS_ERR_OUTPUT (dump_path cannot be written),
 * RS_ERR_NOMEM.
 */
struct rs_live *rs_live_open(const struct rs_live_opts *opts, rs_record_fn fn, void *user,
                             struct rs_error *err);

/*
 * Captures and analyses until rs_live_stop, then finishes the engine
 * (records for every session still open). Returns 0 when stopped;
 * RS_ERR_INPUT when the capture failed (e.g. the interface went away: the
 * message says so; the open sessions still got their records);
 * RS_ERR_USAGE when called a second time.
 */
int rs_live_run(struct rs_live *l, struct rs_error *err);

/*
 * Makes rs_live_run end: at once when it waits for packets, otherwise after
 * the packet at hand. Async-signal-safe; may be called before rs_live_run
 * (which then only finishes the engine) and from the record callback.
 */
void rs_live_stop(struct rs_live *l);

struct rs_live_stats {
    struct rs_engine_stats engine;   /* packets, sessions, records, decode counters */
    struct rs_capture_stats capture; /* libpcap: received, dropped, if_dropped */
    int have_capture_stats;          /* 0 when libpcap could not give them */
    uint64_t idle_ticks;             /* read timeouts: timer runs on the wall clock */
    rs_time_ns started;              /* wall clock at rs_live_open */
    rs_time_ns ended;                /* wall clock when rs_live_run returned; 0 before */
    uint32_t linktype;               /* LINKTYPE_* of the interface */
};

/* Fills *out. The capture counters are read from libpcap at each call. */
void rs_live_stats(struct rs_live *l, struct rs_live_stats *out);

/*
 * Warnings of the capture (libpcap's activation warnings, a dump file that
 * stopped on a write error, the reason the capture failed), oldest first,
 * as rs_capture_damage: copies up to `max` pointers, returns the total. The
 * strings live until rs_live_close.
 */
size_t rs_live_notes(const struct rs_live *l, const char **msgs, size_t max);

/* Closes the capture and the dump file and frees the engine; NULL is allowed. */
void rs_live_close(struct rs_live *l);

#endif
