/* mpheap devs: the serial ports, with their USB ids (mpremote's `devs` format). */
#include "cli.h"
#include "sys.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap devs\n"
    "List serial ports, one a line: PATH SERIAL VID:PID MANUFACTURER PRODUCT ('-' when\n"
    "unknown), USB ports first in --port auto's order. --port id:SERIAL picks one by\n"
    "its serial number; --port sim is the virtual board, which needs no port.\n";

static const char *or_dash(const char *s) { return *s ? s : "-"; }

int cmd_devs(int argc, char **argv) {
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                              {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (optind < argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *root = getenv("MPHEAP_SYSFS"); // a test hook: a copy of /sys
    mph_port_info *ports = NULL;
    size_t n = 0;
    mph_error err = {0};
    mph_status st = mph_ports_list(root && *root ? root : NULL, &ports, &n, &err);
    if (st) {
        cli_print_error("devs", &err);
        return cli_exit_code(st);
    }
    // USB ports first (the ones auto picks from), each group in natural order.
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const mph_port_info *p = &ports[i];
            if (p->usb != (pass == 0))
                continue;
            if (p->usb)
                printf("%s %s %04x:%04x %s %s\n", p->path, or_dash(p->serial), p->vid, p->pid,
                       or_dash(p->manufacturer), or_dash(p->product));
            else
                printf("%s - -:- - -\n", p->path);
        }
    if (n == 0)
        fprintf(stderr, "mpheap: no serial ports found (%s)\n", cli_sys_no_ports_hint());
    mph_ports_free(ports);
    return cli_flush_stdout() == 0 ? EXIT_OK : EXIT_IO;
}
