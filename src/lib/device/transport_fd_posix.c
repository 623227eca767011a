/* POSIX: a monotonic clock, and poll()+read()/write() with deadlines on file
 * descriptors (the serial port, the pty and the pipes of a board process). */
#include "transport.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t mph__now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mph_status mph__fd_read(int fd, void *buf, size_t cap, size_t *got, int timeout_ms,
                        const char *name, mph_error *err) {
    int64_t deadline = mph__now_ms() + timeout_ms;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, mph__ms_left(deadline));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: poll: %s", name, strerror(errno));
            return MPH_ERR_IO;
        }
        if (n == 0) {
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0, "%s: no answer in %d ms", name,
                           timeout_ms);
            return MPH_ERR_TIMEOUT;
        }
        if (p.revents & POLLNVAL) {
            mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: the descriptor is closed", name);
            return MPH_ERR_IO;
        }
        // Read even on POLLHUP: what the board sent before going away comes first.
        ssize_t r = read(fd, buf, cap);
        if (r > 0) {
            *got = (size_t)r;
            return MPH_OK;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !(p.revents & (POLLHUP | POLLERR)))
            continue;
        if (r == 0 || errno == EIO || errno == ENXIO || errno == ENODEV || errno == EAGAIN ||
            errno == EWOULDBLOCK) {
            mph__error_set(err, MPH_ERR_GONE, 0, 0, "%s: the device went away (hang-up)", name);
            return MPH_ERR_GONE;
        }
        mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: read: %s", name, strerror(errno));
        return MPH_ERR_IO;
    }
}

mph_status mph__fd_write(int fd, const void *buf, size_t len, int timeout_ms, const char *name,
                         mph_error *err) {
    // A pipe whose reader died raises SIGPIPE: hold it off for this call and
    // swallow a pending one, so that the caller sees MPH_ERR_GONE instead.
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    sigprocmask(SIG_BLOCK, &pipe_set, &old_set);

    mph_status st = MPH_OK;
    const char *p = buf;
    int64_t deadline = mph__now_ms() + timeout_ms;
    while (len > 0) {
        struct pollfd pf = {fd, POLLOUT, 0};
        int n = poll(&pf, 1, mph__ms_left(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: poll: %s", name, strerror(errno));
            st = MPH_ERR_IO;
            break;
        }
        if (n == 0) {
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0,
                           "%s: the board took no data for %d ms", name, timeout_ms);
            st = MPH_ERR_TIMEOUT;
            break;
        }
        ssize_t w = write(fd, p, len);
        if (w > 0) {
            p += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (pf.revents & (POLLHUP | POLLERR)) {
                mph__error_set(err, MPH_ERR_GONE, 0, 0, "%s: the device went away (hang-up)",
                               name);
                st = MPH_ERR_GONE;
                break;
            }
            continue;
        }
        if (w < 0 && (errno == EIO || errno == EPIPE || errno == ENXIO || errno == ENODEV)) {
            mph__error_set(err, MPH_ERR_GONE, 0, 0, "%s: the device went away (hang-up)", name);
            st = MPH_ERR_GONE;
        } else {
            mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: write: %s", name,
                           w < 0 ? strerror(errno) : "wrote nothing");
            st = MPH_ERR_IO;
        }
        break;
    }
    if (!was_pending) {
        struct timespec zero = {0, 0};
        sigset_t now;
        sigpending(&now);
        if (sigismember(&now, SIGPIPE) == 1)
            sigtimedwait(&pipe_set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old_set, NULL);
    return st;
}
