/* Linux: serial ports from sysfs, as pyserial's list_ports_linux finds them.
 * The one Linux-only file of the device code. */
#include "transport.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names pyserial globs in /dev. */
static bool wanted(const char *name) {
    static const char *const prefixes[] = {"ttyS", "ttyUSB", "ttyXRUSB", "ttyACM",
                                           "ttyAMA", "rfcomm", "ttyAP"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(name, prefixes[i], n) == 0 && isdigit((unsigned char)name[n]))
            return true;
    }
    return false;
}

/* The first line of dir/file into buf ("" when missing). */
static void read_attr(const char *dir, const char *file, char *buf, size_t cap) {
    char path[PATH_MAX];
    buf[0] = '\0';
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(buf, (int)cap, f)) {
        size_t n = strcspn(buf, "\r\n");
        buf[n] = '\0';
    }
    fclose(f);
}

static void parent_dir(char *path) {
    char *slash = strrchr(path, '/');
    if (slash && slash != path)
        *slash = '\0';
}

static bool hex16(const char *s, uint16_t *out) {
    char *end;
    if (!*s)
        return false;
    unsigned long v = strtoul(s, &end, 16);
    if (*end || v > 0xffff)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* Fill p from /sys/class/tty/NAME; false when it is not a real port. */
static bool describe(const char *root, const char *name, mph_port_info *p) {
    char link[PATH_MAX], dev[PATH_MAX], sub[PATH_MAX], subsystem[PATH_MAX];
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "/dev/%s", name);
    if (snprintf(link, sizeof link, "%s/class/tty/%s/device", root, name) >= (int)sizeof link)
        return false;
    if (!realpath(link, dev))
        return false; // a virtual tty (no device behind it)
    if (snprintf(sub, sizeof sub, "%s/subsystem", dev) >= (int)sizeof sub ||
        !realpath(sub, subsystem))
        return true;
    const char *kind = strrchr(subsystem, '/');
    kind = kind ? kind + 1 : subsystem;
    if (strcmp(kind, "platform") == 0)
        return false; // a legacy 8250 port with no hardware behind it
    // usb-serial bridges (ttyUSB): device = port, its parent the interface;
    // CDC-ACM (ttyACM): device = the interface. The USB device is one up.
    char usbdev[PATH_MAX];
    snprintf(usbdev, sizeof usbdev, "%s", dev);
    if (strcmp(kind, "usb-serial") == 0)
        parent_dir(usbdev);
    else if (strcmp(kind, "usb") != 0)
        return true;
    parent_dir(usbdev);
    char vid[16], pid[16];
    read_attr(usbdev, "idVendor", vid, sizeof vid);
    read_attr(usbdev, "idProduct", pid, sizeof pid);
    p->usb = hex16(vid, &p->vid) && hex16(pid, &p->pid);
    read_attr(usbdev, "serial", p->serial, sizeof p->serial);
    read_attr(usbdev, "manufacturer", p->manufacturer, sizeof p->manufacturer);
    read_attr(usbdev, "product", p->product, sizeof p->product);
    return true;
}

/* Natural order: digit runs compare as numbers (ttyACM2 < ttyACM10). */
static int natural_cmp(const void *a, const void *b) {
    const char *x = ((const mph_port_info *)a)->path, *y = ((const mph_port_info *)b)->path;
    while (*x && *y) {
        if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
            while (*x == '0')
                x++;
            while (*y == '0')
                y++;
            size_t nx = 0, ny = 0;
            while (isdigit((unsigned char)x[nx]))
                nx++;
            while (isdigit((unsigned char)y[ny]))
                ny++;
            if (nx != ny)
                return nx < ny ? -1 : 1;
            int c = strncmp(x, y, nx);
            if (c)
                return c;
            x += nx;
            y += ny;
        } else {
            if (*x != *y)
                return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
            x++;
            y++;
        }
    }
    return *x ? 1 : *y ? -1 : 0;
}

mph_status mph_ports_list(const char *sysfs_root, mph_port_info **out, size_t *count,
                          mph_error *err) {
    if (!out || !count) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_ports_list: bad argument");
        return MPH_ERR_ARG;
    }
    const char *root = sysfs_root ? sysfs_root : "/sys";
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/class/tty", root);
    mph_port_info *ports = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    if (!d) {
        // No sysfs (a container, another OS): no ports, not an error.
        *out = NULL;
        *count = 0;
        return MPH_OK;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!wanted(e->d_name) || strlen(e->d_name) > 48)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            mph_port_info *grown = realloc(ports, ncap * sizeof *grown);
            if (!grown) {
                closedir(d);
                free(ports);
                mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
                return MPH_ERR_NOMEM;
            }
            ports = grown;
            cap = ncap;
        }
        if (describe(root, e->d_name, &ports[n]))
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(ports, n, sizeof *ports, natural_cmp);
    *out = ports;
    *count = n;
    return MPH_OK;
}

void mph_ports_free(mph_port_info *ports) { free(ports); }

const char *mph__no_board_hint(void) {
    return "`mpheap devs` lists the ports, --port sim uses the virtual board";
}

const char *mph__port_shortcut(const char *spec, char *buf, size_t cap) {
    // mpremote's a0..a3 and u0..u3.
    if ((spec[0] == 'a' || spec[0] == 'u') && spec[1] >= '0' && spec[1] <= '3' && !spec[2]) {
        snprintf(buf, cap, "/dev/tty%s%c", spec[0] == 'a' ? "ACM" : "USB", spec[1]);
        return buf;
    }
    return NULL;
}
