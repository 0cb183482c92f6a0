/*
 * live.c - `rstscope live`: a live capture feeding the engine, with timers
 * that also run on the wall clock while the interface is idle.
 *
 * Why here: this module joins a live capture (src/capture) to the engine
 * (src/verdict), which is what the lab already does; capture/ sits below the
 * engine and must not depend on it, and cli/ only parses and prints. So the
 * loop lives beside the lab, the other real-interface user of both.
 *
 * The loop is single-threaded: rs_capture_next polls the capture descriptor
 * with the read timeout, so an idle interface yields RS_CAPTURE_TIMEOUT
 * every timeout_ms and the timers can be advanced then. A signal interrupts
 * the poll, so rs_live_stop from a handler ends the loop at once.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rstscope/live.h>

#define DEFAULT_TIMEOUT_MS 100

struct rs_live {
    struct rs_capture *cap;
    struct rs_engine *eng;
    volatile sig_atomic_t stop;
    int ran;
    int timeout_ms;
    uint64_t idle_ticks;
    rs_time_ns started, ended;
};

static rs_time_ns
wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (rs_time_ns)ts.tv_sec * RS_NS_PER_SEC + ts.tv_nsec;
}

/* The wall clock, one read timeout behind (see rs_live_run). */
static rs_time_ns
clock_behind(const struct rs_live *l)
{
    return wall_ns() - (rs_time_ns)l->timeout_ms * 1000000;
}

struct rs_live *
rs_live_open(const struct rs_live_opts *opts, rs_record_fn fn, void *user, struct rs_error *err)
{
    if (!opts || !opts->iface || !opts->iface[0]) {
        rs_error_set(err, RS_ERR_USAGE, "live capture: no interface given");
        return NULL;
    }
    struct rs_live *l = calloc(1, sizeof *l);
    if (!l) {
        rs_error_set(err, RS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    l->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    l->started = wall_ns();

    struct rs_capture_opts copts = {0};
    copts.filter = opts->filter;
    copts.promisc = opts->promisc;
    copts.timeout_ms = l->timeout_ms;
    l->cap = rs_capture_open_live(opts->iface, &copts, err);
    if (!l->cap)
        goto err;
    if (opts->dump_path) {
        struct rs_error derr = {0};
        int rc = rs_capture_dump_to(l->cap, opts->dump_path, &derr);
        if (rc != 0) {
            /* libpcap's message names the file already. */
            rs_error_set(err, rc, "cannot write the packet dump: %s", derr.msg);
            goto err;
        }
    }
    l->eng = rs_engine_new(&opts->engine, fn, user, err);
    if (!l->eng)
        goto err;
    return l;
err:
    rs_live_close(l);
    return NULL;
}

/* The capture's last note says why it failed (rs_capture_next's contract). */
static int
capture_failed(struct rs_live *l, struct rs_error *err)
{
    size_t n = rs_capture_damage(l->cap, NULL, 0);
    const char **notes = n ? calloc(n, sizeof *notes) : NULL;
    if (notes && rs_capture_damage(l->cap, notes, n) == n)
        rs_error_set(err, RS_ERR_INPUT, "%s", notes[n - 1]);
    else
        rs_error_set(err, RS_ERR_INPUT, "the live capture failed");
    free(notes);
    return RS_ERR_INPUT;
}

int
rs_live_run(struct rs_live *l, struct rs_error *err)
{
    if (l->ran)
        return rs_error_set(err, RS_ERR_USAGE, "live capture: already run");
    l->ran = 1;
    int rc = 0;
    struct rs_packet pkt;
    while (!l->stop) {
        int st = rs_capture_next(l->cap, &pkt);
        if (st == RS_CAPTURE_PACKET) {
            rs_engine_packet(l->eng, &pkt);
        } else if (st == RS_CAPTURE_TIMEOUT) {
            /* Idle for timeout_ms: run the timers on the wall clock. One
             * timeout behind it, because a packet stamped just now may still
             * be on its way through the kernel; stamped before the clock the
             * engine already reached, it would count as reordered. Timers
             * then fire at most two ticks late, nothing next to seconds. */
            l->idle_ticks++;
            rs_engine_advance(l->eng, clock_behind(l));
        } else if (st == RS_CAPTURE_END) {
            break;
        } else {
            rc = capture_failed(l, err);
            break;
        }
    }
    /* Timers that ran out on the clock since the last tick end as aged-out,
     * as they would have at the next tick; the rest end open. */
    rs_engine_advance(l->eng, clock_behind(l));
    rs_engine_finish(l->eng);
    l->ended = wall_ns();
    return rc;
}

void
rs_live_stop(struct rs_live *l)
{
    if (!l)
        return;
    l->stop = 1;
    rs_capture_stop(l->cap);
}

void
rs_live_stats(struct rs_live *l, struct rs_live_stats *out)
{
    memset(out, 0, sizeof *out);
    rs_engine_stats(l->eng, &out->engine);
    struct rs_error err = {0};
    out->have_capture_stats = rs_capture_stats(l->cap, &out->capture, &err) == 0;
    out->idle_ticks = l->idle_ticks;
    out->started = l->started;
    out->ended = l->ended;
    struct rs_capture_file_info info;
    if (rs_capture_file_info(l->cap, 0, &info) == 0)
        out->linktype = info.linktype;
}

size_t
rs_live_notes(const struct rs_live *l, const char **msgs, size_t max)
{
    return rs_capture_damage(l->cap, msgs, max);
}

void
rs_live_close(struct rs_live *l)
{
    if (!l)
        return;
    rs_engine_free(l->eng);
    rs_capture_close(l->cap);
    free(l);
}
