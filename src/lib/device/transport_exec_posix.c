/* A board program run as a child process (the virtual board, `exec:CMD`):
 * on a pseudo-terminal, so that the serial-port code is what talks to it, or
 * over pipes. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Wait up to ms for the child to exit; true when it did (and was reaped). */
static bool reap_within(pid_t pid, int ms) {
    int64_t deadline = mph__now_ms() + ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        if (mph__now_ms() >= deadline)
            return false;
        sleep_ms(5);
    }
}

static void child_end(pid_t pid, int grace_ms) {
    if (pid <= 0)
        return;
    if (grace_ms > 0 && reap_within(pid, grace_ms))
        return;
    // The child leads its own process group: `sh -c CMD` and what it started.
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    if (reap_within(pid, 1000))
        return;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    reap_within(pid, 1000);
}

void mph__child_end(pid_t pid) { child_end(pid, 0); }

/* fork+exec with stdin from in_fd and stdout to out_fd. A close-on-exec pipe
 * carries exec's errno back, so "no such program" is an error here. */
/* pipe() with both ends close-on-exec (pipe2 is not everywhere). */
static int cloexec_pipe(int fds[2]) {
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

#ifdef __linux__
static volatile sig_atomic_t keeper_hup, keeper_term;

static void keeper_note(int sig) {
    if (sig == SIGHUP)
        keeper_hup = 1;
    else if (sig == SIGTERM)
        keeper_term = 1;
}

/* The board program's keeper, between mpheap and the program (`sh -c CMD`
 * and what it starts, all in the keeper's process group). The kernel sends it
 * SIGHUP when mpheap dies, however (PR_SET_PDEATHSIG: even SIGKILLed), and it
 * then kills the whole group: a program blocked writing to a pty that nobody
 * reads would otherwise wait forever. It passes SIGTERM on, and exits as the
 * program does. (The death signal follows the thread that opened the board:
 * a thread that opens one must outlive its use.) Async-signal-safe calls only. */
static void keeper(pid_t parent, const char *const argv[], int status_fd) {
    sigset_t watched, old, none;
    sigemptyset(&watched);
    sigaddset(&watched, SIGHUP);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &watched, &old);
    if (prctl(PR_SET_PDEATHSIG, SIGHUP) != 0 || getppid() != parent)
        _exit(127); // mpheap is gone already
    pid_t prog = fork();
    if (prog < 0) {
        int e = errno;
        ssize_t w = write(status_fd, &e, sizeof e);
        (void)w;
        _exit(127);
    }
    if (prog == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], (char *const *)argv);
        int e = errno;
        ssize_t w = write(status_fd, &e, sizeof e);
        (void)w;
        _exit(127);
    }
    // The keeper holds neither the program's input nor its output: its end is theirs.
    close(status_fd);
    close(0);
    close(1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = keeper_note;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    // A handler, not SIG_DFL: an ignored SIGCHLD would not end sigsuspend.
    sigaction(SIGCHLD, &sa, NULL);
    for (;;) {
        int status;
        pid_t w = waitpid(prog, &status, WNOHANG);
        if (w == prog)
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (w < 0 && errno == ECHILD)
            _exit(127);
        if (keeper_hup)
            kill(0, SIGKILL); // the group: the program, its children and the keeper
        if (keeper_term) {
            keeper_term = 0;
            kill(prog, SIGTERM);
        }
        sigsuspend(&none); // returns once a handler has run (SIGCHLD, SIGHUP, SIGTERM)
    }
}
#endif

static mph_status spawn(const char *const argv[], int in_fd, int out_fd, pid_t *pid,
                        mph_error *err) {
    int status_pipe[2];
    if (cloexec_pipe(status_pipe) != 0) {
        mph__error_set(err, MPH_ERR_IO, 0, 0, "pipe: %s", strerror(errno));
        return MPH_ERR_IO;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(status_pipe[0]);
        close(status_pipe[1]);
        mph__error_set(err, MPH_ERR_IO, 0, 0, "fork: %s", strerror(e));
        return MPH_ERR_IO;
    }
    if (child == 0) {
        // Only async-signal-safe calls from here on.
        setpgid(0, 0); // the terminal's Ctrl-C is for mpheap, which then ends us
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0)
            _exit(127);
#ifdef __linux__
        keeper(parent, argv, status_pipe[1]);
#else
        (void)parent;
#endif
        execvp(argv[0], (char *const *)argv);
        int e = errno;
        ssize_t w = write(status_pipe[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(status_pipe[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(status_pipe[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (r == (ssize_t)sizeof e) {
        waitpid(child, NULL, 0);
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "cannot run '%s': %s", argv[0], strerror(e));
        return MPH_ERR_DEVICE;
    }
    *pid = child;
    return MPH_OK;
}

/* A new pty whose slave is already raw (an echoing slave would send the
 * board's output back to it as input). */
static mph_status open_pty(int *master, int *slave, char *path, size_t cap, mph_error *err) {
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char *name = NULL;
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || !(name = ptsname(m))) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "cannot make a pseudo-terminal: %s",
                       strerror(errno));
        if (m >= 0)
            close(m);
        return MPH_ERR_DEVICE;
    }
    snprintf(path, cap, "%s", name);
    int s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios tio;
    if (s < 0 || tcgetattr(s, &tio) != 0) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: %s", path, strerror(errno));
        if (s >= 0)
            close(s);
        close(m);
        return MPH_ERR_DEVICE;
    }
    cfmakeraw(&tio);
    tcsetattr(s, TCSANOW, &tio);
    *master = m;
    *slave = s;
    return MPH_OK;
}

mph_status mph_exec_spawn_pty(const char *const argv[], char *path, size_t cap, int *pid,
                              int *slave_fd, mph_error *err) {
    if (!argv || !argv[0] || !path || !pid || !slave_fd) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_exec_spawn_pty: bad argument");
        return MPH_ERR_ARG;
    }
    int m, s;
    mph_status st = open_pty(&m, &s, path, cap, err);
    if (st)
        return st;
    st = spawn(argv, m, m, pid, err);
    close(m); // the child holds it: when the child ends, the slave hangs up
    if (st) {
        close(s);
        return st;
    }
    *slave_fd = s;
    return MPH_OK;
}

/* ------------------------------------------------------------------ pipes */

typedef struct pipe_child {
    int rfd, wfd;
    pid_t pid;
    char name[256];
} pipe_child;

static mph_status pipe_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                            mph_error *err) {
    pipe_child *c = ctx;
    return mph__fd_read(c->rfd, buf, cap, got, timeout_ms, c->name, err);
}

static mph_status pipe_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                             mph_error *err) {
    pipe_child *c = ctx;
    return mph__fd_write(c->wfd, buf, len, timeout_ms, c->name, err);
}

static void pipe_close(void *ctx) {
    pipe_child *c = ctx;
    // EOF on its stdin lets a board program end by itself; then make sure.
    close(c->wfd);
    child_end(c->pid, 500);
    close(c->rfd);
    free(c);
}

static mph_status open_pipes(const char *const argv[], const char *name, mph_transport **out,
                             mph_error *err) {
    static const mph_transport_ops ops = {pipe_read, pipe_write, pipe_close};
    int to_child[2], from_child[2];
    if (cloexec_pipe(to_child) != 0) {
        mph__error_set(err, MPH_ERR_IO, 0, 0, "pipe: %s", strerror(errno));
        return MPH_ERR_IO;
    }
    if (cloexec_pipe(from_child) != 0) {
        mph__error_set(err, MPH_ERR_IO, 0, 0, "pipe: %s", strerror(errno));
        close(to_child[0]);
        close(to_child[1]);
        return MPH_ERR_IO;
    }
    pipe_child *c = calloc(1, sizeof *c);
    pid_t pid = 0;
    mph_status st = c ? spawn(argv, to_child[0], from_child[1], &pid, err) : MPH_ERR_NOMEM;
    close(to_child[0]);
    close(from_child[1]);
    if (st) {
        if (st == MPH_ERR_NOMEM)
            mph__error_set(err, st, 0, 0, "out of memory");
        close(to_child[1]);
        close(from_child[0]);
        free(c);
        return st;
    }
    c->rfd = from_child[0];
    c->wfd = to_child[1];
    c->pid = pid;
    fcntl(c->rfd, F_SETFL, fcntl(c->rfd, F_GETFL) | O_NONBLOCK);
    fcntl(c->wfd, F_SETFL, fcntl(c->wfd, F_GETFL) | O_NONBLOCK);
    snprintf(c->name, sizeof c->name, "%s", name);
    *out = mph_transport_new(&ops, c, c->name);
    if (!*out) {
        pipe_close(c);
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    return MPH_OK;
}

/* ------------------------------------------------------------------- API */

static void describe(const char *const argv[], bool pipes, const char *pty, char *buf,
                     size_t cap) {
    // "sim" for the virtual board, else the command itself.
    const char *cmd = argv[0];
    size_t i = 0;
    if (argv[1] && strstr(argv[1], "virtual-board")) {
        i = (size_t)snprintf(buf, cap, "sim");
        for (size_t k = 2; argv[k] && argv[k + 1] && i < cap; k++)
            if (strcmp(argv[k], "--heap") == 0)
                i += (size_t)snprintf(buf + i, cap - i, ":%s", argv[k + 1]);
        for (size_t k = 2; argv[k] && i < cap; k++)
            if (strcmp(argv[k], "--fixed-heap") == 0)
                i += (size_t)snprintf(buf + i, cap - i, ",fixed");
    } else {
        if (strcmp(cmd, "/bin/sh") == 0 && argv[1] && strcmp(argv[1], "-c") == 0 && argv[2])
            cmd = argv[2];
        i = (size_t)snprintf(buf, cap, "%s:%s", pipes ? "pipe" : "exec", cmd);
    }
    if (pty && i < cap)
        snprintf(buf + i, cap - i, " (%s)", pty);
}

mph_status mph_exec_open(const char *const argv[], bool pipes, mph_transport **out,
                         mph_error *err) {
    if (!argv || !argv[0] || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_exec_open: bad argument");
        return MPH_ERR_ARG;
    }
    char name[256], path[128];
    if (pipes) {
        describe(argv, true, NULL, name, sizeof name);
        return open_pipes(argv, name, out, err);
    }
    int m, s;
    mph_status st = open_pty(&m, &s, path, sizeof path, err);
    if (st)
        return st;
    // The board's side is the master; ours is the slave, opened as any serial
    // port is (lock, raw termios, flush, DTR/RTS): the code path of a USB board.
    // Opened before the child starts, so that the flush loses nothing it says.
    describe(argv, false, path, name, sizeof name);
    st = mph__serial_open(path, name, 0, out, err);
    close(s);
    if (st) {
        close(m);
        return st;
    }
    pid_t pid = 0;
    st = spawn(argv, m, m, &pid, err);
    close(m); // the child holds it: when the child ends, the slave hangs up
    if (st) {
        mph_transport_free(*out);
        *out = NULL;
        return st;
    }
    mph__serial_set_child(*out, pid);
    return MPH_OK;
}
