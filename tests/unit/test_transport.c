/* Transports on real file descriptors: a pseudo-terminal opened through the
 * serial-port code (raw termios, lock, deadlines, hang-up), child processes
 * on a pty and on pipes, and port enumeration on a made-up sysfs tree. */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pty master and its slave's path; -1 when this system has none. */
static int make_pty(char *path, size_t cap) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || !ptsname(m)) {
        if (m >= 0)
            close(m);
        return -1;
    }
    snprintf(path, cap, "%s", ptsname(m));
    return m;
}

/* Read what is there within ms into buf (NUL-terminated); returns the length. */
static size_t read_all(mph_transport *t, char *buf, size_t cap, int ms, mph_status *last) {
    size_t n = 0;
    int64_t end = now_ms() + ms;
    *last = MPH_OK;
    while (n + 1 < cap) {
        int left = (int)(end - now_ms());
        size_t got;
        mph_status st = mph_transport_read(t, buf + n, cap - 1 - n, &got, left > 0 ? left : 0, NULL);
        if (st) {
            *last = st;
            break;
        }
        n += got;
    }
    buf[n] = '\0';
    return n;
}

static bool master_quiet(int m, int ms) {
    struct pollfd p = {m, POLLIN, 0};
    return poll(&p, 1, ms) == 0;
}

TEST(serial_pty_is_raw_locked_and_timed) {
    char path[128];
    int m = make_pty(path, sizeof path);
    if (m < 0) {
        harness_skip("no pseudo-terminals here");
        return;
    }
    mph_transport *t = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_serial_open(path, &t, &err), MPH_OK);
    if (!t) {
        close(m);
        return;
    }
    CHECK_STR(mph_transport_name(t), path);
    // Raw input: CR stays CR, XON/XOFF and Ctrl-C arrive as data; nothing is echoed.
    static const char in[] = "a\r\n\x11\x13\x03\x04\x7f\xff";
    CHECK(write(m, in, sizeof in - 1) == (ssize_t)(sizeof in - 1));
    char buf[256];
    mph_status last;
    size_t n = read_all(t, buf, sizeof buf, 200, &last);
    CHECK_EQ(n, sizeof in - 1);
    CHECK(memcmp(buf, in, sizeof in - 1) == 0);
    CHECK_EQ(last, MPH_ERR_TIMEOUT);
    CHECK(master_quiet(m, 50)); // no echo
    // Raw output: "\n" is not made "\r\n".
    CHECK_EQ(mph_transport_write(t, "x\ny", 3, 1000, &err), MPH_OK);
    char back[16] = "";
    ssize_t k = read(m, back, sizeof back);
    CHECK_EQ(k, 3);
    CHECK(k == 3 && memcmp(back, "x\ny", 3) == 0);
    // A deadline on every read.
    int64_t t0 = now_ms();
    size_t got;
    CHECK_EQ(mph_transport_read(t, buf, sizeof buf, &got, 150, &err), MPH_ERR_TIMEOUT);
    int64_t took = now_ms() - t0;
    CHECK(took >= 140 && took < 1000);
    // Locked: a second opener is told the port is busy; the lock goes with the transport.
    mph_transport *t2 = NULL;
    CHECK_EQ(mph_serial_open(path, &t2, &err), MPH_ERR_BUSY);
    CHECK(strstr(err.message, "busy") != NULL);
    mph_transport_free(t);
    CHECK_EQ(mph_serial_open(path, &t2, &err), MPH_OK);
    // Hang-up (the board unplugged): reads and writes say "gone", at once.
    close(m);
    t0 = now_ms();
    CHECK_EQ(mph_transport_read(t2, buf, sizeof buf, &got, 5000, &err), MPH_ERR_GONE);
    CHECK(now_ms() - t0 < 1000);
    CHECK_EQ(mph_transport_write(t2, "z", 1, 1000, &err), MPH_ERR_GONE);
    uint64_t bin, bout;
    mph_transport_counts(t2, &bin, &bout);
    CHECK_EQ(bin, 0);
    CHECK_EQ(bout, 0);
    mph_transport_free(t2);
}

TEST(serial_open_errors) {
    mph_transport *t = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_serial_open("/nonexistent/ttyACM9", &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "no such port") != NULL);
    CHECK_EQ(mph_serial_open("/dev/null", &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "not a serial port") != NULL);
    CHECK(t == NULL);
}

static void check_no_children(void) {
    int status;
    errno = 0;
    CHECK(waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD);
}

static void echo_round_trip(bool pipes) {
    const char *argv[] = {"cat", NULL};
    mph_transport *t = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_exec_open(argv, pipes, &t, &err), MPH_OK);
    if (!t)
        return;
    CHECK_EQ(mph_transport_write(t, "ping\r\n\x03", 7, 1000, &err), MPH_OK);
    char buf[64];
    mph_status last;
    size_t n = 0;
    int64_t end = now_ms() + 2000;
    while (n < 7 && now_ms() < end) {
        size_t got;
        if (mph_transport_read(t, buf + n, sizeof buf - n, &got, 200, NULL) == MPH_OK)
            n += got;
    }
    (void)last;
    CHECK_EQ(n, 7);
    CHECK(memcmp(buf, "ping\r\n\x03", 7) == 0);
    mph_transport_free(t); // ends cat and reaps it
    check_no_children();
}

TEST(exec_pty_round_trip) { echo_round_trip(false); }
TEST(exec_pipes_round_trip) { echo_round_trip(true); }

static void exits_then_gone(bool pipes) {
    const char *argv[] = {"sh", "-c", "printf hi; sleep 0.2", NULL};
    mph_transport *t = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_exec_open(argv, pipes, &t, &err), MPH_OK);
    if (!t)
        return;
    char buf[64];
    mph_status last;
    int64_t t0 = now_ms();
    size_t n = read_all(t, buf, sizeof buf, 3000, &last);
    CHECK_STR(buf, "hi");
    CHECK_EQ(n, 2);
    CHECK_EQ(last, MPH_ERR_GONE);
    CHECK(now_ms() - t0 < 2500);
    // Writing to it now fails as "gone", and does not kill us with SIGPIPE.
    static char big[200000];
    CHECK_EQ(mph_transport_write(t, big, sizeof big, 1000, &err), MPH_ERR_GONE);
    mph_transport_free(t);
    check_no_children();
}

TEST(exec_pty_child_exit_is_a_hang_up) { exits_then_gone(false); }
TEST(exec_pipes_child_exit_is_eof) { exits_then_gone(true); }

TEST(exec_missing_program) {
    const char *argv[] = {"/nonexistent/board", NULL};
    mph_transport *t = NULL;
    mph_error err = {0};
    CHECK_EQ(mph_exec_open(argv, true, &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "cannot run '/nonexistent/board'") != NULL);
    CHECK_EQ(mph_exec_open(argv, false, &t, &err), MPH_ERR_DEVICE);
    check_no_children();
}

TEST(exec_spawn_pty_serves_clients_in_turn) {
    const char *argv[] = {"cat", NULL};
    char path[128];
    int pid = 0, slave = -1;
    mph_error err = {0};
    CHECK_EQ(mph_exec_spawn_pty(argv, path, sizeof path, &pid, &slave, &err), MPH_OK);
    if (slave < 0)
        return;
    for (int round = 0; round < 2; round++) {
        mph_transport *t = NULL;
        CHECK_EQ(mph_serial_open(path, &t, &err), MPH_OK);
        if (!t)
            break;
        CHECK_EQ(mph_transport_write(t, "abc", 3, 1000, &err), MPH_OK);
        char buf[16];
        size_t n = 0, got;
        int64_t end = now_ms() + 2000;
        while (n < 3 && now_ms() < end)
            if (mph_transport_read(t, buf + n, sizeof buf - n, &got, 200, NULL) == MPH_OK)
                n += got;
        CHECK_EQ(n, 3);
        mph_transport_free(t); // the child lives on for the next client
    }
    kill(pid, SIGTERM); // before the slave closes: cat would report the hang-up
    waitpid(pid, NULL, 0);
    close(slave);
}

/* ------------------------------------------------------------- sysfs */

static void put_file(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void mkdirs(const char *path) {
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

/* class/tty/NAME/device -> devices/DEV, whose subsystem -> bus/BUS. */
static void add_tty(const char *root, const char *name, const char *dev, const char *bus) {
    char p[1024], target[512];
    snprintf(p, sizeof p, "%s/class/tty/%s", root, name);
    mkdirs(p);
    if (!dev)
        return;
    snprintf(target, sizeof target, "%s/devices/%s", root, dev);
    mkdirs(target);
    snprintf(p, sizeof p, "%s/class/tty/%s/device", root, name);
    if (symlink(target, p) != 0)
        return;
    char busdir[512];
    snprintf(busdir, sizeof busdir, "%s/bus/%s", root, bus);
    mkdirs(busdir);
    snprintf(p, sizeof p, "%s/subsystem", target);
    if (symlink(busdir, p) != 0)
        return;
}

static void add_usb(const char *root, const char *usbdev, const char *vid, const char *pid,
                    const char *serial, const char *maker, const char *product) {
    char d[512];
    snprintf(d, sizeof d, "%s/devices/%s", root, usbdev);
    mkdirs(d);
    put_file(d, "idVendor", vid);
    put_file(d, "idProduct", pid);
    if (serial)
        put_file(d, "serial", serial);
    put_file(d, "manufacturer", maker);
    put_file(d, "product", product);
}

TEST(ports_from_sysfs) {
    char root[] = "/tmp/mpheap-sysfs-XXXXXX";
    if (!mkdtemp(root)) {
        harness_skip("cannot make a temporary directory");
        return;
    }
    // CDC-ACM: the tty's device is the USB interface; the USB device is its parent.
    add_tty(root, "ttyACM0", "pci0/usb1/1-1/1-1:1.0", "usb");
    add_usb(root, "pci0/usb1/1-1", "2e8a\n", "0005\n", "E6614C311B7E6F35\n", "MicroPython\n",
            "Board in FS mode\n");
    add_tty(root, "ttyACM10", "pci0/usb1/1-3/1-3:1.0", "usb");
    add_usb(root, "pci0/usb1/1-3", "f055\n", "9800\n", NULL, "MicroPython\n", "Pyboard Virtual Comm Port\n");
    // A usb-serial bridge: the tty's device is the port, two levels below the USB device.
    add_tty(root, "ttyUSB0", "pci0/usb1/1-2/1-2:1.0/ttyUSB0", "usb-serial");
    add_usb(root, "pci0/usb1/1-2", "10c4\n", "ea60\n", "0001\n", "Silicon Labs\n",
            "CP2102 USB to UART Bridge Controller\n");
    add_tty(root, "ttyS0", "platform/serial8250", "platform"); // no hardware: hidden
    add_tty(root, "ttyS1", "pnp0/00:01", "pnp");               // a real UART, not USB
    add_tty(root, "ttyUSB1", NULL, NULL);                      // no device behind it
    add_tty(root, "tty3", "virtual/tty3", "tty");              // not a serial name

    mph_port_info *ports = NULL;
    size_t n = 0;
    mph_error err = {0};
    CHECK_EQ(mph_ports_list(root, &ports, &n, &err), MPH_OK);
    CHECK_EQ(n, 4);
    if (n == 4) {
        CHECK_STR(ports[0].path, "/dev/ttyACM0");
        CHECK(ports[0].usb);
        CHECK_EQ(ports[0].vid, 0x2e8a);
        CHECK_EQ(ports[0].pid, 0x0005);
        CHECK_STR(ports[0].serial, "E6614C311B7E6F35");
        CHECK_STR(ports[0].manufacturer, "MicroPython");
        CHECK_STR(ports[0].product, "Board in FS mode");
        CHECK_STR(ports[1].path, "/dev/ttyACM10"); // natural order: 0 < 10
        CHECK_EQ(ports[1].vid, 0xf055);
        CHECK_STR(ports[1].serial, "");
        CHECK_STR(ports[2].path, "/dev/ttyS1");
        CHECK(!ports[2].usb);
        CHECK_STR(ports[3].path, "/dev/ttyUSB0");
        CHECK_EQ(ports[3].vid, 0x10c4);
        CHECK_EQ(ports[3].pid, 0xea60);
        CHECK_STR(ports[3].product, "CP2102 USB to UART Bridge Controller");
    }
    mph_ports_free(ports);

    // id:SERIAL picks the port by serial number (here it cannot be opened: no /dev file).
    mph_port_options o = {NULL, NULL, root};
    mph_transport *t = NULL;
    CHECK_EQ(mph_port_open("id:0001", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "/dev/ttyUSB0") != NULL);
    CHECK_EQ(mph_port_open("id:nope", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "no USB serial port has that serial number") != NULL);
    CHECK_EQ(mph_port_open("auto", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "/dev/ttyACM0") != NULL);
    CHECK(strstr(err.message, "/dev/ttyS1") == NULL); // auto takes USB ports only

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);

    // No sysfs at all: no ports, and auto says so.
    CHECK_EQ(mph_ports_list("/nonexistent", &ports, &n, &err), MPH_OK);
    CHECK_EQ(n, 0);
    mph_port_options none = {NULL, NULL, "/nonexistent"};
    CHECK_EQ(mph_port_open("auto", &none, &t, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "no board found") != NULL);
}

TEST(port_words) {
    mph_transport *t = NULL;
    mph_error err = {0};
    mph_port_options o = {NULL, NULL, "/nonexistent"};
    CHECK_EQ(mph_port_open("bogus", &o, &t, &err), MPH_ERR_ARG);
    CHECK(strstr(err.message, "unknown port 'bogus'") != NULL);
    // The message lists every word, port:PATH and pipe:CMD included.
    CHECK(strstr(err.message, "port:PATH") != NULL && strstr(err.message, "pipe:CMD") != NULL);
    // mpremote's c0..c3 (and COMn): Windows names, said plainly.
    static const char *const windows[] = {"c0", "c3", "COM3", "com12", "port:COM1"};
    for (size_t i = 0; i < sizeof windows / sizeof *windows; i++) {
        CHECK_EQ(mph_port_open(windows[i], &o, &t, &err), MPH_ERR_ARG);
        CHECK(strstr(err.message, "Windows COM ports are not supported on this system") != NULL);
    }
    CHECK_EQ(mph_port_open("c4", &o, &t, &err), MPH_ERR_ARG);
    CHECK(strstr(err.message, "unknown port 'c4'") != NULL);
    CHECK_EQ(mph_port_open("sim", &o, &t, &err), MPH_ERR_DEVICE); // no board script given
    CHECK_EQ(mph_port_open("exec:", &o, &t, &err), MPH_ERR_ARG);
    CHECK_EQ(mph_port_open("sim:", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK_EQ(mph_port_open("/nonexistent/tty", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK_EQ(mph_port_open("port:/nonexistent/tty", &o, &t, &err), MPH_ERR_DEVICE);
    CHECK(t == NULL);
    // exec:CMD through the shell, on a pty.
    CHECK_EQ(mph_port_open("exec:printf ok; sleep 1", &o, &t, &err), MPH_OK);
    if (t) {
        CHECK(strncmp(mph_transport_name(t), "exec:printf ok; sleep 1 (/dev/", 30) == 0);
        char buf[16];
        mph_status last;
        read_all(t, buf, sizeof buf, 300, &last);
        CHECK_STR(buf, "ok");
        mph_transport_free(t);
    }
    t = NULL;
    CHECK_EQ(mph_port_open("pipe:printf ok", &o, &t, &err), MPH_OK);
    if (t) {
        CHECK_STR(mph_transport_name(t), "pipe:printf ok");
        mph_transport_free(t);
    }
    check_no_children();
}

/* Running (and not a zombie waiting for a late reaper). */
static bool running(pid_t pid) {
    char path[64], stat[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *close_paren = strrchr(stat, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z';
}

/* The board program (and what it started) dies with the process that opened
 * it, even SIGKILLed mid-run, and lives in its own process group. */
static void dies_with_opener(bool pipes) {
    int report[2];
    CHECK(pipe(report) == 0);
    pid_t opener = fork();
    if (opener == 0) {
        close(report[0]);
        // A grandchild that would sleep on for a minute: sh's background job.
        const char *argv[] = {"sh", "-c", "sleep 60 & echo $!; wait", NULL};
        mph_transport *t = NULL;
        if (mph_exec_open(argv, pipes, &t, NULL) != MPH_OK)
            _exit(1);
        char buf[32] = "";
        size_t n = 0;
        int64_t end = now_ms() + 3000;
        while (!memchr(buf, '\n', n) && n < sizeof buf - 1 && now_ms() < end) {
            size_t got;
            if (mph_transport_read(t, buf + n, sizeof buf - 1 - n, &got, 200, NULL) == MPH_OK)
                n += got;
        }
        if (write(report[1], buf, n) != (ssize_t)n)
            _exit(1);
        raise(SIGKILL); // no close, no cleanup
        _exit(1);
    }
    close(report[1]);
    char buf[32] = "";
    ssize_t n = read(report[0], buf, sizeof buf - 1);
    close(report[0]);
    waitpid(opener, NULL, 0);
    pid_t sleeper = n > 0 ? (pid_t)atoi(buf) : 0;
    CHECK(sleeper > 0);
    if (sleeper <= 0)
        return;
    int64_t t0 = now_ms();
    while (running(sleeper) && now_ms() - t0 < 3000)
        usleep(10000);
    CHECK(!running(sleeper));
    if (running(sleeper))
        kill(sleeper, SIGKILL);
}

TEST(exec_pty_board_dies_with_its_opener) { dies_with_opener(false); }
TEST(exec_pipes_board_dies_with_its_opener) { dies_with_opener(true); }

TEST(exec_board_has_its_own_process_group) {
    const char *argv[] = {"sh", "-c", "echo $$; exec sleep 5", NULL};
    mph_transport *t = NULL;
    CHECK_EQ(mph_exec_open(argv, true, &t, NULL), MPH_OK);
    if (!t)
        return;
    char buf[32] = "";
    size_t n = 0;
    int64_t end = now_ms() + 3000;
    while (!memchr(buf, '\n', n) && n < sizeof buf - 1 && now_ms() < end) {
        size_t got;
        if (mph_transport_read(t, buf + n, sizeof buf - 1 - n, &got, 200, NULL) == MPH_OK)
            n += got;
    }
    pid_t board = (pid_t)atoi(buf);
    CHECK(board > 0);
    CHECK(board > 0 && getpgid(board) > 0 && getpgid(board) != getpgid(0));
    mph_transport_free(t); // ends it and reaps what it started
    check_no_children();
}
