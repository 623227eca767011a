/* Shared by the transport files (transport*.c, ports_linux.c, repl.c) only. */
#ifndef MPHEAP_SRC_LIB_TRANSPORT_H
#define MPHEAP_SRC_LIB_TRANSPORT_H

#include "../internal.h"

#include <stdint.h>
#include <sys/types.h>

/* Milliseconds on a monotonic clock. */
int64_t mph__now_ms(void);
/* Milliseconds left until deadline (0 when past, at most INT32_MAX). */
int mph__ms_left(int64_t deadline);

/* poll()+read() with a deadline: TIMEOUT when nothing came, GONE on hang-up or EOF. */
mph_status mph__fd_read(int fd, void *buf, size_t cap, size_t *got, int timeout_ms,
                        const char *name, mph_error *err);
/* poll()+write() of all bytes with a deadline; GONE on EIO/EPIPE (SIGPIPE is held off). */
mph_status mph__fd_write(int fd, const void *buf, size_t len, int timeout_ms, const char *name,
                         mph_error *err);

/* transport_serial.c: open a serial port; child (when > 0) is ended by close. */
mph_status mph__serial_open(const char *path, const char *name, pid_t child,
                            mph_transport **out, mph_error *err);
/* The implementation's ctx of a transport (transport.c). */
void *mph__transport_ctx(mph_transport *t);
/* transport_serial.c: the board process behind a serial transport, ended by close. */
void mph__serial_set_child(mph_transport *t, pid_t child);
/* transport_exec.c: SIGTERM, a grace period, SIGKILL; reaps the child. */
void mph__child_end(pid_t pid);

/* ports_linux.c: the device path of a shortcut ("a0" -> /dev/ttyACM0); NULL when spec is none. */
const char *mph__port_shortcut(const char *spec, char *buf, size_t cap);

#endif
