/*
 * progress.c - the stderr progress bar of the analysing commands.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
rs_progress_init(struct rs_progress *p, struct rs_capture *cap, int mode)
{
    uint64_t done = 0, total = 0;
    rs_capture_progress(cap, &done, &total);
    p->cap = cap;
    p->total = total;
    p->pkts = 0;
    p->drawn = 0;
    p->start = now_s();
    p->last_draw = p->start - 1; /* the first tick draws at once */
    if (mode < 0)
        p->on = isatty(STDERR_FILENO) && total >= (64u << 20);
    else
        p->on = mode;
}

static void
human(double bytes, char *buf, size_t len)
{
    const char *unit[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) {
        bytes /= 1000;
        u++;
    }
    snprintf(buf, len, "%.1f %s", bytes, unit[u]);
}

void
rs_progress_draw(struct rs_progress *p)
{
    double t = now_s();
    if (t - p->last_draw < 0.2)
        return;
    p->last_draw = t;
    uint64_t done = 0, total = 0;
    rs_capture_progress(p->cap, &done, &total);
    double el = t - p->start;
    double rate = el > 0 ? (double)done / el : 0;
    char d[32], r[32];
    human((double)done, d, sizeof d);
    human(rate, r, sizeof r);
    if (total > 0) {
        double frac = (double)done / (double)total;
        if (frac > 1)
            frac = 1;
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        char tt[32];
        human((double)total, tt, sizeof tt);
        double eta = rate > 0 ? (double)(total - (done < total ? done : total)) / rate : 0;
        fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %s/s  ETA %.0fs  %llu packets ", bar, frac * 100,
                d, tt, r, eta, (unsigned long long)p->pkts);
    } else {
        fprintf(stderr, "\r%s read  %s/s  %llu packets ", d, r, (unsigned long long)p->pkts);
    }
    p->drawn = 1;
}

void
rs_progress_done(struct rs_progress *p)
{
    if (p->drawn)
        fprintf(stderr, "\r%-100s\r", "");
    p->drawn = 0;
}

void
rs_progress_tick_cb(void *ctx)
{
    rs_progress_tick(ctx);
}
