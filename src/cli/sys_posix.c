/* The command line's system calls on POSIX systems (sys.h): Linux today; what
 * a macOS build would share. */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void cli_sys_init(void) {}

bool cli_sys_terminal_size(unsigned *cols, unsigned *rows) {
    struct winsize ws;
    if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
        return false;
    *cols = ws.ws_col;
    *rows = ws.ws_row;
    return true;
}

bool cli_sys_color_ok(FILE *stream) {
    (void)stream;
    return true;
}

bool cli_sys_have_less(void) {
    const char *path = getenv("PATH");
    char buf[4096];
    for (const char *d = path ? path : "/usr/bin:/bin"; d && *d;) {
        const char *colon = strchr(d, ':');
        size_t n = colon ? (size_t)(colon - d) : strlen(d);
        snprintf(buf, sizeof buf, "%.*s/less", (int)n, d);
        if (n && access(buf, X_OK) == 0)
            return true;
        d = colon ? colon + 1 : NULL;
    }
    return false;
}

FILE *cli_sys_pager_open(const char *command, long *id) {
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        // Quit at once when it fits (F), keep the colours (R), leave the text on
        // the screen afterwards (X): git's defaults, unless the user has their own.
        setenv("LESS", "FRX", 0);
        setenv("LV", "-c", 0);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    FILE *f = fdopen(fds[1], "w");
    if (!f) {
        close(fds[1]);
        waitpid(pid, NULL, 0);
        return NULL;
    }
    *id = pid;
    // The pager owns the keyboard now: Ctrl-C is for it, and a pager that quits
    // early is a write error to stop at, not a signal to die of.
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    return f;
}

int cli_sys_pager_close(FILE *pipe_to, long id) {
    int rc = fclose(pipe_to);
    int e = errno;
    while (waitpid((pid_t)id, NULL, 0) < 0 && errno == EINTR)
        ;
    errno = e;
    return rc;
}

void cli_sys_on_stop(void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler; // no SA_RESTART: a wait ends early and sees the flag
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); // a closed stdout is an error to report, not a silent death
}

int cli_sys_open(const char *path, int flags, int mode) {
    return open(path, flags | O_CLOEXEC, mode);
}

size_t cli_sys_dir_len(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) + 1 : 0;
}

int cli_sys_finish_file(int fd) {
    // mkstemp makes it 0600; a picture is as readable as any new file.
    mode_t mask = umask(0);
    umask(mask);
    return fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0 ? -1 : 0;
}

int cli_sys_replace(const char *from, const char *to) { return rename(from, to); }

// The POSIX build always has the full-screen views (tui.c), so ncurses is linked, shared or
// static (the Makefile's STATIC_DEPS): a strong reference, as a weak one to a static
// archive's member would not bring it in, and would read as absent.
extern const char *curses_version(void);

const char *cli_sys_ncurses_word(void) { return curses_version() ? "+ncurses" : "-ncurses"; }

int cli_sys_sync(int fd) { return fsync(fd); }

FILE *cli_sys_memstream(char **buf, size_t *len) { return open_memstream(buf, len); }

long cli_sys_exe_path(char *exe, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", exe, cap - 1);
    if (n < 0)
        return -1;
    exe[n] = '\0';
    return (long)n;
}

const char *cli_sys_no_ports_hint(void) { return "--port sim uses the virtual board"; }
