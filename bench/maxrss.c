/*
 * maxrss: run a command, then report its wall time and peak memory (the
 * child's ru_maxrss from wait4), without GNU time.
 *
 *   maxrss [-o FILE] [-t SECONDS] -- COMMAND [ARG...]
 *
 * Writes one line "WALL_SECONDS MAXRSS_KIB STATUS" to FILE (default stderr);
 * STATUS is the exit status, or 128 + the signal. The command's own stdin,
 * stdout and stderr are left as they are. With -t, a command still running
 * after SECONDS is killed (SIGKILL) and STATUS is 124, as timeout(1) says.
 * Exits with STATUS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static pid_t child;

static void on_alarm(int sig) {
    (void)sig;
    timed_out = 1;
    kill(child, SIGKILL);
}

int main(int argc, char **argv) {
    const char *out_path = NULL;
    unsigned limit = 0;
    int i = 1;
    for (; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-o") == 0)
            out_path = argv[i + 1];
        else if (strcmp(argv[i], "-t") == 0)
            limit = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else
            break;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        fputs("usage: maxrss [-o FILE] [-t SECONDS] -- COMMAND [ARG...]\n", stderr);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = child = fork();
    if (pid < 0) {
        fprintf(stderr, "maxrss: fork: %s\n", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        fprintf(stderr, "maxrss: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    if (limit) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigaction(SIGALRM, &sa, NULL);
        alarm(limit);
    }
    int wstatus;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &wstatus, 0, &ru)) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (w < 0) {
        fprintf(stderr, "maxrss: wait4: %s\n", strerror(errno));
        return 125;
    }
    alarm(0);
    int status = timed_out             ? 124
                 : WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
                                      : 128 + WTERMSIG(wstatus);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FILE *out = out_path ? fopen(out_path, "w") : stderr;
    if (!out) {
        fprintf(stderr, "maxrss: %s: %s\n", out_path, strerror(errno));
        return 125;
    }
    fprintf(out, "%.6f %ld %d\n", wall, ru.ru_maxrss, status);
    if (out_path)
        fclose(out);
    return status;
}
