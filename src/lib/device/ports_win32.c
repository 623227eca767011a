/* Windows: serial ports from SetupAPI, as pyserial's list_ports_windows
 * finds them: every present device of the Ports class with a PortName (COMn),
 * its hardware id (USB\VID_2E8A&PID_0005...) for VID:PID, and the serial
 * number from the USB device's instance id (the parent's, for a composite
 * device's interface: ...&MI_00). The sysfs_root argument has no meaning here. */
#include "transport.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <windows.h>

#include <cfgmgr32.h>
#include <setupapi.h>

/* GUID_DEVCLASS_PORTS, spelled out (devguid.h would need initguid.h first). */
static const GUID ports_class = {0x4d36e978, 0xe325, 0x11ce,
                                 {0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18}};

static bool hex4(const char *s, uint16_t *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
        v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                               : (toupper((unsigned char)s[i]) - 'A' + 10));
    }
    *out = (uint16_t)v;
    return true;
}

/* VID_xxxx and PID_xxxx in a hardware or instance id. */
static bool usb_ids(const char *id, uint16_t *vid, uint16_t *pid) {
    const char *v = strstr(id, "VID_"), *p = strstr(id, "PID_");
    return v && p && hex4(v + 4, vid) && hex4(p + 4, pid);
}

static void property(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD which, char *buf, size_t cap) {
    buf[0] = '\0';
    if (!SetupDiGetDeviceRegistryPropertyA(set, dev, which, NULL, (BYTE *)buf, (DWORD)cap, NULL))
        buf[0] = '\0';
    buf[cap - 1] = '\0';
}

/* The last part of an instance id (USB\VID_..&PID_..\SERIAL) when it is a
 * serial number: Windows makes up ids with '&' for devices without one. */
static void serial_of(const char *instance, char *buf, size_t cap) {
    const char *last = strrchr(instance, '\\');
    buf[0] = '\0';
    if (last && last[1] && !strchr(last, '&'))
        snprintf(buf, cap, "%s", last + 1);
}

static bool describe(HDEVINFO set, SP_DEVINFO_DATA *dev, mph_port_info *p) {
    memset(p, 0, sizeof *p);
    HKEY key = SetupDiOpenDevRegKey(set, dev, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
    if (key == INVALID_HANDLE_VALUE)
        return false;
    char name[sizeof p->path] = "";
    DWORD type = 0, size = sizeof name - 1;
    LONG rc = RegQueryValueExA(key, "PortName", NULL, &type, (BYTE *)name, &size);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS || type != REG_SZ || strncmp(name, "COM", 3) != 0)
        return false; // a parallel port (LPTn), or no name
    name[size < sizeof name ? size : sizeof name - 1] = '\0';
    snprintf(p->path, sizeof p->path, "%s", name);

    char hwid[512], instance[512] = "";
    property(set, dev, SPDRP_HARDWAREID, hwid, sizeof hwid);
    p->usb = strncmp(hwid, "USB", 3) == 0 && usb_ids(hwid, &p->vid, &p->pid);
    if (p->usb && SetupDiGetDeviceInstanceIdA(set, dev, instance, sizeof instance, NULL)) {
        if (strstr(instance, "&MI_")) {
            // One interface of a composite device: the serial is the parent's.
            DEVINST parent;
            char parent_id[512];
            if (CM_Get_Parent(&parent, dev->DevInst, 0) == CR_SUCCESS &&
                CM_Get_Device_IDA(parent, parent_id, sizeof parent_id, 0) == CR_SUCCESS)
                serial_of(parent_id, p->serial, sizeof p->serial);
        } else
            serial_of(instance, p->serial, sizeof p->serial);
    }
    property(set, dev, SPDRP_MFG, p->manufacturer, sizeof p->manufacturer);
    property(set, dev, SPDRP_DEVICEDESC, p->product, sizeof p->product);
    return true;
}

/* COM3 before COM10. */
static int port_cmp(const void *a, const void *b) {
    const char *x = ((const mph_port_info *)a)->path + 3, *y = ((const mph_port_info *)b)->path + 3;
    long nx = strtol(x, NULL, 10), ny = strtol(y, NULL, 10);
    return nx < ny ? -1 : nx > ny ? 1 : strcmp(x, y);
}

mph_status mph_ports_list(const char *sysfs_root, mph_port_info **out, size_t *count,
                          mph_error *err) {
    (void)sysfs_root;
    if (!out || !count) {
        mph__error_set(err, MPH_ERR_ARG, 0, 0, "mph_ports_list: bad argument");
        return MPH_ERR_ARG;
    }
    mph_port_info *ports = NULL;
    size_t n = 0, cap = 0;
    HDEVINFO set = SetupDiGetClassDevsA(&ports_class, NULL, NULL, DIGCF_PRESENT);
    if (set == INVALID_HANDLE_VALUE) {
        // No device database to ask: no ports, not an error (as with no sysfs).
        *out = NULL;
        *count = 0;
        return MPH_OK;
    }
    SP_DEVINFO_DATA dev;
    dev.cbSize = sizeof dev;
    for (DWORD i = 0; SetupDiEnumDeviceInfo(set, i, &dev); i++) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            mph_port_info *grown = realloc(ports, ncap * sizeof *grown);
            if (!grown) {
                SetupDiDestroyDeviceInfoList(set);
                free(ports);
                mph__error_set(err, MPH_ERR_NOMEM, 0, 0, "out of memory");
                return MPH_ERR_NOMEM;
            }
            ports = grown;
            cap = ncap;
        }
        if (describe(set, &dev, &ports[n]))
            n++;
    }
    SetupDiDestroyDeviceInfoList(set);
    if (n > 1)
        qsort(ports, n, sizeof *ports, port_cmp);
    *out = ports;
    *count = n;
    return MPH_OK;
}

void mph_ports_free(mph_port_info *ports) { free(ports); }

const char *mph__no_board_hint(void) {
    return "`mpheap devs` lists the ports; --port COMn opens one by its name";
}

const char *mph__port_shortcut(const char *spec, char *buf, size_t cap) {
    // mpremote's c0..c3 are COM0..COM3.
    if (spec[0] == 'c' && spec[1] >= '0' && spec[1] <= '3' && !spec[2]) {
        snprintf(buf, cap, "\\\\.\\COM%c", spec[1]);
        return buf;
    }
    // COMn (any case): \\.\COMn, the only name that opens COM10 and above.
    if (_strnicmp(spec, "com", 3) == 0 && spec[3]) {
        for (const char *p = spec + 3; *p; p++)
            if (*p < '0' || *p > '9')
                return NULL;
        snprintf(buf, cap, "\\\\.\\COM%s", spec + 3);
        return buf;
    }
    return NULL;
}
