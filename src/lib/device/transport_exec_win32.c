/* Windows: no board processes. `exec:`, `pipe:` and `sim` run the board on a
 * POSIX pseudo-terminal or pipes (transport_exec_posix.c); Windows has
 * neither a pty the serial code can open nor fork, so they say so. */
#include "transport.h"

static mph_status not_here(mph_error *err) {
    mph__error_set(err, MPH_ERR_DEVICE, 0, 0,
                   "board processes (sim, exec:, pipe:) are not available on Windows: give a "
                   "COM port (COM5, c0..c3, auto), or run `mpheap sim` on Linux or WSL");
    return MPH_ERR_DEVICE;
}

mph_status mph_exec_open(const char *const argv[], bool pipes, mph_transport **out,
                         mph_error *err) {
    (void)argv;
    (void)pipes;
    (void)out;
    return not_here(err);
}

mph_status mph_exec_spawn_pty(const char *const argv[], char *path, size_t cap, int *pid,
                              int *slave_fd, mph_error *err) {
    (void)argv;
    (void)path;
    (void)cap;
    (void)pid;
    (void)slave_fd;
    return not_here(err);
}

void mph__child_end(pid_t pid) { (void)pid; }
