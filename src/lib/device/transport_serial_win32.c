/* Windows: a serial port as a transport through the Win32 API, as pyserial's
 * serialwin32 opens one: CreateFile on \\.\COMn with no sharing (a second
 * program gets "access denied": the port is busy), 8N1 at 115200 with no flow
 * control, DTR and RTS raised together by one SetCommState, and COMMTIMEOUTS
 * that make ReadFile return at once with what has come; the deadline is kept
 * here. Also the monotonic clock of the device code. */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

typedef struct serial_port {
    HANDLE h;
    DWORD write_timeout; /* the COMMTIMEOUTS' write constant now set */
    char name[256];
} serial_port;

int64_t mph__now_ms(void) { return (int64_t)GetTickCount64(); }

/* GetLastError's text, without its trailing line break. */
static const char *last_error_text(DWORD e, char *buf, size_t cap) {
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e,
                             0, buf, (DWORD)cap, NULL);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.'))
        n--;
    if (!n)
        snprintf(buf, cap, "Windows error %lu", (unsigned long)e);
    else
        buf[n] = '\0';
    return buf;
}

/* The errors of a port whose device was unplugged (or whose far end closed). */
static bool gone_error(DWORD e) {
    return e == ERROR_ACCESS_DENIED || e == ERROR_BAD_COMMAND || e == ERROR_DEVICE_REMOVED ||
           e == ERROR_GEN_FAILURE || e == ERROR_OPERATION_ABORTED || e == ERROR_FILE_NOT_FOUND ||
           e == ERROR_INVALID_HANDLE || e == ERROR_BROKEN_PIPE;
}

static mph_status io_failure(const serial_port *s, const char *what, mph_error *err) {
    DWORD e = GetLastError();
    char text[160];
    if (gone_error(e)) {
        mph__error_set(err, MPH_ERR_GONE, 0, 0, "%s: the device went away (%s)", s->name,
                       last_error_text(e, text, sizeof text));
        return MPH_ERR_GONE;
    }
    mph__error_set(err, MPH_ERR_IO, 0, 0, "%s: %s: %s", s->name, what,
                   last_error_text(e, text, sizeof text));
    return MPH_ERR_IO;
}

static mph_status serial_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                              mph_error *err) {
    serial_port *s = ctx;
    int64_t deadline = mph__now_ms() + timeout_ms;
    DWORD want = cap > 65536 ? 65536 : (DWORD)cap;
    for (;;) {
        DWORD n = 0;
        if (!ReadFile(s->h, buf, want, &n, NULL))
            return io_failure(s, "read", err);
        if (n > 0) {
            *got = n;
            return MPH_OK;
        }
        int left = mph__ms_left(deadline);
        if (left == 0) {
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0, "%s: no answer in %d ms", s->name,
                           timeout_ms);
            return MPH_ERR_TIMEOUT;
        }
        // Nothing yet: the reads return at once (COMMTIMEOUTS), so wait a little.
        Sleep(left < 2 ? (DWORD)left : 2);
    }
}

static mph_status serial_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                               mph_error *err) {
    serial_port *s = ctx;
    DWORD limit = timeout_ms > 0 ? (DWORD)timeout_ms : 1;
    if (limit != s->write_timeout) {
        COMMTIMEOUTS to = {MAXDWORD, 0, 0, 0, limit};
        if (!SetCommTimeouts(s->h, &to))
            return io_failure(s, "SetCommTimeouts", err);
        s->write_timeout = limit;
    }
    const char *p = buf;
    while (len > 0) {
        DWORD chunk = len > 65536 ? 65536 : (DWORD)len, n = 0;
        if (!WriteFile(s->h, p, chunk, &n, NULL))
            return io_failure(s, "write", err);
        if (n == 0) {
            mph__error_set(err, MPH_ERR_TIMEOUT, 0, 0, "%s: the board took no data for %d ms",
                           s->name, timeout_ms);
            return MPH_ERR_TIMEOUT;
        }
        p += n;
        len -= n;
    }
    return MPH_OK;
}

static void serial_close(void *ctx) {
    serial_port *s = ctx;
    if (s->h != INVALID_HANDLE_VALUE) {
        // RTS before DTR: RTS asserted alone would hold an ESP32 in reset.
        (void)EscapeCommFunction(s->h, CLRRTS);
        (void)EscapeCommFunction(s->h, CLRDTR);
        CloseHandle(s->h);
    }
    free(s);
}

/* The name a message gives a port: COM12 for \\.\COM12, as Windows' own tools name it. */
static const char *shown(const char *path) {
    return strncmp(path, "\\\\.\\", 4) == 0 && _strnicmp(path + 4, "com", 3) == 0 ? path + 4 : path;
}

static mph_status configure(serial_port *s, const char *path, mph_error *err) {
    char text[160];
    DCB dcb;
    memset(&dcb, 0, sizeof dcb);
    dcb.DCBlength = sizeof dcb;
    if (!GetCommState(s->h, &dcb)) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: not a serial port (%s)", shown(path),
                       last_error_text(GetLastError(), text, sizeof text));
        return MPH_ERR_DEVICE;
    }
    // 115200 8N1 (CDC-ACM ignores the speed; never 1200: some boards enter their
    // bootloader), binary, no flow control of either kind (XON/XOFF would eat
    // 0x11/0x13 of raw-paste data), no error character, no NUL stripping.
    dcb.BaudRate = CBR_115200;
    dcb.ByteSize = 8;
    dcb.Parity = NOPARITY;
    dcb.StopBits = ONESTOPBIT;
    dcb.fBinary = TRUE;
    dcb.fParity = FALSE;
    dcb.fOutxCtsFlow = FALSE;
    dcb.fOutxDsrFlow = FALSE;
    dcb.fDsrSensitivity = FALSE;
    dcb.fTXContinueOnXoff = TRUE;
    dcb.fOutX = FALSE;
    dcb.fInX = FALSE;
    dcb.fErrorChar = FALSE;
    dcb.fNull = FALSE;
    dcb.fAbortOnError = FALSE;
    // DTR and RTS together, in this one call: equal states keep ESP32
    // auto-reset circuits out of reset and out of the bootloader; TinyUSB
    // boards read DTR as "a host is connected".
    dcb.fDtrControl = DTR_CONTROL_ENABLE;
    dcb.fRtsControl = RTS_CONTROL_ENABLE;
    if (!SetCommState(s->h, &dcb)) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: cannot configure the port: %s", shown(path),
                       last_error_text(GetLastError(), text, sizeof text));
        return MPH_ERR_DEVICE;
    }
    // Reads return at once with what has come (the deadline is ours); writes
    // get a total limit, set again whenever a call asks for another.
    COMMTIMEOUTS to = {MAXDWORD, 0, 0, 0, 5000};
    if (!SetCommTimeouts(s->h, &to)) {
        mph__error_set(err, MPH_ERR_DEVICE, 0, 0, "%s: cannot set the timeouts: %s", shown(path),
                       last_error_text(GetLastError(), text, sizeof text));
        return MPH_ERR_DEVICE;
    }
    s->write_timeout = 5000;
    (void)PurgeComm(s->h, PURGE_RXCLEAR | PURGE_RXABORT);
    return MPH_OK;
}

mph_status mph__serial_open(const char *path, const char *name, pid_t child,
                            mph_transport **out, mph_error *err) {
    static const mph_transport_ops ops = {serial_read, serial_write, serial_close};
    (void)child; // no board processes on Windows (transport_exec_win32.c)
    char text[160], device[80];
    mph_status st;
    serial_port *s = calloc(1, sizeof *s);
    if (!s) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        return MPH_ERR_NOMEM;
    }
    snprintf(s->name, sizeof s->name, "%s", shown(name ? name : path));
    // COM10 and above only open as \\.\COM10; the prefix does no harm below.
    const char *dev = path;
    if (mph__port_shortcut(path, device, sizeof device))
        dev = device;
    // No sharing: the port is ours alone, and a second program (mpremote,
    // a terminal, another mpheap) gets ERROR_ACCESS_DENIED.
    s->h = CreateFileA(dev, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (s->h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        if (e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION) {
            st = MPH_ERR_BUSY;
            mph__error_set(err, st, 0, 0,
                           "%s: port busy (another program has it open: mpremote, a terminal, "
                           "another mpheap)",
                           shown(path));
        } else if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
            st = MPH_ERR_DEVICE;
            mph__error_set(err, st, 0, 0,
                           "%s: no such port (is the board plugged in? `mpheap devs` lists the "
                           "ports)",
                           shown(path));
        } else {
            st = MPH_ERR_DEVICE;
            mph__error_set(err, st, 0, 0, "%s: %s", shown(path), last_error_text(e, text, sizeof text));
        }
        goto fail;
    }
    if ((st = configure(s, path, err)))
        goto fail;
    *out = mph_transport_new(&ops, s, s->name);
    if (!*out) {
        mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
        st = MPH_ERR_NOMEM;
        goto fail;
    }
    return MPH_OK;
fail:
    if (s->h != INVALID_HANDLE_VALUE)
        CloseHandle(s->h);
    free(s);
    return st;
}

void mph__serial_set_child(mph_transport *t, pid_t child) {
    (void)t;
    (void)child;
}
