/* The transport interface and opening a board by the user's word
 * (mph_port_open): portable C. What depends on the system is in one file per
 * system, chosen by the Makefile: *_posix.c (termios, ptys, poll), *_linux.c
 * (sysfs discovery), *_win32.c (the Win32 serial API, SetupAPI). */
#include "transport.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mph_transport {
    mph_transport_ops ops;
    void *ctx;
    uint64_t bytes_in, bytes_out;
    char name[256];
};

int mph__ms_left(int64_t deadline) {
    int64_t left = deadline - mph__now_ms();
    if (left < 0)
        return 0;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

mph_transport *mph_transport_new(const mph_transport_ops *ops, void *ctx, const char *name) {
    if (!ops || !ops->read || !ops->write)
        return NULL;
    mph_transport *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ops = *ops;
    t->ctx = ctx;
    snprintf(t->name, sizeof t->name, "%s", name ? name : "board");
    return t;
}

mph_status mph_transport_read(mph_transport *t, void *buf, size_t cap, size_t *got,
                              int timeout_ms, mph_error *err) {
    if (!t || !buf || !cap || !got) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_transport_read: bad argument");
        return MPH_ERR_ARG;
    }
    size_t n = 0;
    mph_status st = t->ops.read(t->ctx, buf, cap, &n, timeout_ms < 0 ? 0 : timeout_ms, err);
    if (st == MPH_OK) {
        t->bytes_in += n;
        *got = n;
    }
    return st;
}

mph_status mph_transport_write(mph_transport *t, const void *buf, size_t len, int timeout_ms,
                               mph_error *err) {
    if (!t || (!buf && len)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_transport_write: bad argument");
        return MPH_ERR_ARG;
    }
    if (len == 0)
        return MPH_OK;
    mph_status st = t->ops.write(t->ctx, buf, len, timeout_ms < 0 ? 0 : timeout_ms, err);
    if (st == MPH_OK)
        t->bytes_out += len;
    return st;
}

void mph_transport_counts(const mph_transport *t, uint64_t *bytes_in, uint64_t *bytes_out) {
    if (bytes_in)
        *bytes_in = t ? t->bytes_in : 0;
    if (bytes_out)
        *bytes_out = t ? t->bytes_out : 0;
}

const char *mph_transport_name(const mph_transport *t) { return t ? t->name : ""; }

void *mph__transport_ctx(mph_transport *t) { return t ? t->ctx : NULL; }

void mph_transport_free(mph_transport *t) {
    if (!t)
        return;
    if (t->ops.close)
        t->ops.close(t->ctx);
    free(t);
}

/* ------------------------------------------------------------ port words */

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* opts: what follows "sim:" (NULL for plain "sim"): HEAP, HEAP,fixed or fixed. */
static mph_status open_sim(const char *opts, const mph_port_options *o, mph_transport **out,
                           mph_error *err) {
    if (!o || !o->board_script) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                       "sim: the virtual board (board/virtual-board.mjs) was not found");
        return MPH_ERR_DEVICE;
    }
    char heap[32] = "";
    bool fixed = false, bad = opts && !*opts;
    for (const char *p = opts ? opts : ""; *p && !bad;) {
        size_t n = strcspn(p, ",");
        if (n == 5 && strncmp(p, "fixed", 5) == 0) {
            bad = fixed; // said twice
            fixed = true;
        } else if (n && n < sizeof heap && !*heap && p[0] != '-')
            memcpy(heap, p, n); // the board checks the size itself
        else
            bad = true;
        p += n;
        if (*p == ',' && !*++p)
            bad = true; // a trailing comma
    }
    if (bad) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "sim:HEAP[,fixed] takes a heap size such as 64K and ',fixed' for a heap "
                       "that cannot grow, not '%s'",
                       opts);
        return MPH_ERR_ARG;
    }
    const char *argv[] = {o->node ? o->node : "node", o->board_script, "--heap",
                          *heap ? heap : "1M", fixed ? "--fixed-heap" : NULL, NULL};
    mph_status st = mph_exec_open(argv, false, out, err);
    if (st == MPH_ERR_DEVICE && err)
        // Say which program was missing: the usual cause is no Node.js.
        if (strstr(err->message, "cannot run"))
            mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                           "sim: cannot run '%s' (the virtual board needs Node.js 20+ and "
                           "`npm ci --prefix board`)",
                           argv[0]);
    return st;
}

static mph_status open_auto(const mph_port_options *o, const char *serial, mph_transport **out,
                            mph_error *err) {
    mph_port_info *ports = NULL;
    size_t n = 0;
    mph_status st = mph_ports_list(o ? o->sysfs_root : NULL, &ports, &n, err);
    if (st)
        return st;
    char tried[200] = "";
    size_t usb = 0;
    mph_status last = MPH_ERR_DEVICE;
    for (size_t i = 0; i < n; i++) {
        if (!ports[i].usb)
            continue;
        if (serial && strcmp(ports[i].serial, serial) != 0)
            continue;
        usb++;
        mph_error e = {0};
        st = mph_serial_open(ports[i].path, out, &e);
        if (st == MPH_OK) {
            mph_ports_free(ports);
            return MPH_OK;
        }
        // A busy port belongs to another program (or another mpheap): try the next.
        last = st;
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s (%s)", used ? ", " : "",
                 ports[i].path, mph_status_name(st));
    }
    mph_ports_free(ports);
    if (serial)
        mph__error_set(err, usb ? last : MPH_ERR_DEVICE, 0, 0,
                       usb ? "id:%s: the port could not be opened: %s"
                           : "id:%s: no USB serial port has that serial number%s",
                       serial, tried);
    else if (usb)
        mph__error_set(err, last, 0, 0, "no board could be opened: %s", tried);
    else
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                       "no board found (no USB serial port; %s)", mph__no_board_hint());
    return usb ? last : MPH_ERR_DEVICE;
}

/* The system's own serial code (transport_serial_*.c) opens it, named by its path. */
mph_status mph_serial_open(const char *path, mph_transport **out, mph_error *err) {
    if (!path || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_serial_open: bad argument");
        return MPH_ERR_ARG;
    }
    return mph__serial_open(path, path, 0, out, err);
}

/* mpremote's c0..c3 (COM0..COM3), or a Windows name COMn. */
static bool windows_port(const char *spec) {
    if (spec[0] == 'c' && spec[1] >= '0' && spec[1] <= '3' && !spec[2])
        return true;
    if (strncasecmp(spec, "com", 3) != 0 || !spec[3])
        return false;
    for (const char *p = spec + 3; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

mph_status mph_port_open(const char *spec, const mph_port_options *o, mph_transport **out,
                         mph_error *err) {
    if (!spec || !*spec || !out) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "no port given");
        return MPH_ERR_ARG;
    }
    char path[64];
    if (strcmp(spec, "auto") == 0)
        return open_auto(o, NULL, out, err);
    if (has_prefix(spec, "id:"))
        return open_auto(o, spec + 3, out, err);
    if (strcmp(spec, "sim") == 0)
        return open_sim(NULL, o, out, err);
    if (has_prefix(spec, "sim:"))
        return open_sim(spec + 4, o, out, err);
    if (has_prefix(spec, "exec:") || has_prefix(spec, "pipe:")) {
        const char *argv[] = {"/bin/sh", "-c", spec + 5, NULL};
        if (!spec[5]) {
            mph__error_set(err, MPH_ERR_ARG, 0, 0, "%.5s needs a command", spec);
            return MPH_ERR_ARG;
        }
        return mph_exec_open(argv, spec[0] == 'p', out, err);
    }
    if (has_prefix(spec, "port:"))
        spec += 5;
    const char *shortcut = mph__port_shortcut(spec, path, sizeof path);
    if (shortcut)
        return mph_serial_open(shortcut, out, err);
    if (windows_port(spec)) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "%s: Windows COM ports are not supported on this system (here a board is "
                       "/dev/ttyACMn or /dev/ttyUSBn: a0..a3, u0..u3, auto; `mpheap devs` lists "
                       "them)",
                       spec);
        return MPH_ERR_ARG;
    }
    if (!strchr(spec, '/') && !strchr(spec, '\\')) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0,
                       "unknown port '%s' (auto, a device path or port:PATH, a0..a3, u0..u3, "
                       "id:SERIAL, sim[:HEAP[,fixed]], exec:CMD, pipe:CMD)",
                       spec);
        return MPH_ERR_ARG;
    }
    return mph_serial_open(spec, out, err);
}
