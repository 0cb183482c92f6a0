/*
 * peak_rss - runs a command and writes its peak resident set size.
 *
 *   peak_rss FILE COMMAND [ARG...]
 *
 * Writes the child's ru_maxrss (KiB) to FILE and exits with the child's
 * status (128 + signal number if it was killed). The command's stdin, stdout
 * and stderr are passed through. Why not /usr/bin/time -v: it is not
 * installed everywhere. Why not Python's resource module: a child forked
 * from Python counts Python's own RSS, from before the exec, in its peak; this
 * helper is small, so what it adds is under a MiB.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: peak_rss FILE COMMAND [ARG...]\n", stderr);
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "peak_rss: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("peak_rss: wait4");
            return 125;
        }
    }
    FILE *fp = fopen(argv[1], "w");
    if (!fp || fprintf(fp, "%ld\n", ru.ru_maxrss) < 0 || fclose(fp) != 0) {
        perror(argv[1]);
        return 125;
    }
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}
