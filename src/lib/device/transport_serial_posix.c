/* A serial port as a transport: the way tio and pyserial open one.
 * POSIX termios plus the BSD/Linux ioctls TIOCEXCL and TIOCM*; the
 * Linux-only parts (sysfs enumeration) are in ports_linux.c; Windows has
 * transport_serial_win32.c. */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

typedef struct serial_port {
    int fd;
    bool excl;   /* we set TIOCEXCL (clear it again only then) */
    pid_t child; /* a board process on the other side of a pty, or 0 */
    char name[256];
} serial_port;

/* Modem-control ioctls fail on ptys and some adapters: that is fine. */
static bool benign(int e) { return e == ENOTTY || e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP; }

static mph_status serial_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                              mph_error *err) {
    serial_port *s = ctx;
    return mph__fd_read(s->fd, buf, cap, got, timeout_ms, s->name, err);
}

static mph_status serial_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                               mph_error *err) {
    serial_port *s = ctx;
    return mph__fd_write(s->fd, buf, len, timeout_ms, s->name, err);
}

static void serial_close(void *ctx) {
    serial_port *s = ctx;
    // Our own board process first, so that it does not see the hang-up as an error.
    if (s->child > 0)
        mph__child_end(s->child);
    if (s->fd >= 0) {
        // RTS before DTR: RTS asserted alone would hold an ESP32 in reset.
        int rts = TIOCM_RTS, dtr = TIOCM_DTR;
        (void)ioctl(s->fd, TIOCMBIC, &rts);
        (void)ioctl(s->fd, TIOCMBIC, &dtr);
        if (s->excl)
            (void)ioctl(s->fd, TIOCNXCL);
        close(s->fd); // also releases the flock
    }
    free(s);
}

static mph_status configure(int fd, const char *path, mph_error *err) {
    struct termios tio;
    if (tcgetattr(fd, &tio) != 0) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: not a serial port (%s)", path,
                       strerror(errno));
        return MPH_ERR_DEVICE;
    }
    // cfmakeraw, spelled out: no echo, no line editing, no signals, no
    // CR/LF translation, no XON/XOFF (it would eat 0x11/0x13 of raw-paste data).
    tio.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
                               IXOFF | IXANY);
    tio.c_oflag &= ~(tcflag_t)OPOST;
    tio.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    tio.c_cflag |= CS8 | CLOCAL | CREAD;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    // 115200 (CDC-ACM ignores it). Never 1200: some boards enter their bootloader.
    cfsetispeed(&tio, B115200);
    cfsetospeed(&tio, B115200);
    if (tcsetattr(fd, TCSANOW, &tio) != 0) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: cannot configure the port: %s", path,
                       strerror(errno));
        return MPH_ERR_DEVICE;
    }
    tcflush(fd, TCIFLUSH);
    // DTR and RTS together, in one call: equal states keep ESP32 auto-reset
    // circuits out of reset and out of the bootloader; TinyUSB boards read
    // DTR as "a host is connected".
    int bits = TIOCM_DTR | TIOCM_RTS;
    if (ioctl(fd, TIOCMBIS, &bits) != 0 && !benign(errno)) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: cannot raise DTR/RTS: %s", path,
                       strerror(errno));
        return MPH_ERR_DEVICE;
    }
    return MPH_OK;
}

mph_status mph__serial_open(const char *path, const char *name, pid_t child,
                            mph_transport **out, mph_error *err) {
    static const mph_transport_ops ops = {serial_read, serial_write, serial_close};
    mph_status st;
    serial_port *s = calloc(1, sizeof *s);
    if (!s) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    s->fd = -1;
    snprintf(s->name, sizeof s->name, "%s", name ? name : path);
    s->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s->fd < 0) {
        int e = errno;
        st = e == EBUSY ? MPH_ERR_BUSY : MPH_ERR_DEVICE;
        mph__error_set(err, st, 0, 0, "%s: %s%s", path,
                       e == EBUSY    ? "port busy (another program has it open)"
                       : e == ENOENT ? "no such port"
                                     : strerror(e),
                       e == EACCES   ? " (is your user in the dialout group?)"
                       : e == ENOENT ? " (is the board plugged in? `mpheap devs` lists the ports)"
                                     : "");
        goto fail;
    }
    // The lock mpremote and pyserial take: a second mpheap or mpremote fails here.
    if (flock(s->fd, LOCK_EX | LOCK_NB) != 0 && (errno == EWOULDBLOCK || errno == EAGAIN)) {
        mph__error_set(err, MPH_ERR_BUSY, 0, 0,
                       "%s: port busy (another program has it open: mpremote, a terminal, "
                       "another mpheap)",
                       path);
        st = MPH_ERR_BUSY;
        goto fail;
    }
    // Exclusive mode for programs that do not flock (root is exempt).
    if (ioctl(s->fd, TIOCEXCL) == 0)
        s->excl = true;
    else if (!benign(errno)) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: TIOCEXCL: %s", path, strerror(errno));
        st = MPH_ERR_DEVICE;
        goto fail;
    }
    if ((st = configure(s->fd, path, err)))
        goto fail;
    s->child = child;
    *out = mph_transport_new(&ops, s, s->name);
    if (!*out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        st = MPH_ERR_NOMEM;
        goto fail;
    }
    return MPH_OK;
fail:
    if (s->fd >= 0) {
        if (s->excl)
            (void)ioctl(s->fd, TIOCNXCL);
        close(s->fd);
    }
    free(s);
    return st;
}

void mph__serial_set_child(mph_transport *t, pid_t child) {
    serial_port *s = mph__transport_ctx(t);
    if (s)
        s->child = child;
}
