/* Shared by the transport files (transport*.c, ports_*.c, repl.c) only. Each
 * system gives its own definitions of what it marks: POSIX in *_posix.c, Linux
 * in ports_linux.c, Windows in *_win32.c. */
#ifndef MPHEAP_SRC_LIB_TRANSPORT_H
#define MPHEAP_SRC_LIB_TRANSPORT_H

#include "../internal.h"

#include <stdint.h>
#include <sys/types.h>

/* Milliseconds on a monotonic clock (per system). */
int64_t mph__now_ms(void);
/* Milliseconds left until deadline (0 when past, at most INT32_MAX). */
int mph__ms_left(int64_t deadline);

/* transport_fd_posix.c: poll()+read() with a deadline: TIMEOUT when nothing came, GONE on hang-up or EOF. */
mph_status mph__fd_read(int fd, void *buf, size_t cap, size_t *got, int timeout_ms,
                        const char *name, mph_error *err);
/* transport_fd_posix.c: poll()+write() of all bytes with a deadline; GONE on EIO/EPIPE (SIGPIPE is held off). */
mph_status mph__fd_write(int fd, const void *buf, size_t len, int timeout_ms, const char *name,
                         mph_error *err);

/* transport_serial_*.c: open a serial port; child (when > 0) is ended by close. */
mph_status mph__serial_open(const char *path, const char *name, pid_t child,
                            mph_transport **out, mph_error *err);
/* The implementation's ctx of a transport (transport.c). */
void *mph__transport_ctx(mph_transport *t);
/* transport_serial_*.c: the board process behind a serial transport, ended by close. */
void mph__serial_set_child(mph_transport *t, pid_t child);
/* transport_exec_*.c: SIGTERM, a grace period, SIGKILL; reaps the child. */
void mph__child_end(pid_t pid);

/* ports_*.c: the device path of a shortcut ("a0" -> /dev/ttyACM0, "c3" -> \\.\COM3);
 * NULL when spec is none. */
const char *mph__port_shortcut(const char *spec, char *buf, size_t cap);

/* What to try when no board is found, as this system has it (ports_*.c): the
 * virtual board only where it runs (not on Windows: it needs a pty). */
const char *mph__no_board_hint(void);

#endif
