/* Peak memory of a piece of work: Linux's VmHWM after resetting it through
 * /proc/self/clear_refs ("5", Linux 4.0+), minus VmRSS before. Unlike
 * getrusage's ru_maxrss it starts afresh for each measurement, and memory
 * freed earlier (that ASan keeps in quarantine) does not count. */
#ifndef MPHEAP_TESTS_UNIT_TEST_PARSER_RSS_H
#define MPHEAP_TESTS_UNIT_TEST_PARSER_RSS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ASan keeps freed memory in quarantine: allocate-and-free churn then looks like growth. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_UNDER_ASAN 1
#endif
#endif
#ifndef RSS_UNDER_ASAN
#define RSS_UNDER_ASAN 0
#endif

/* A "VmXXX:" figure of /proc/self/status in KiB, or -1. */
static inline long proc_status_kib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t k = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            v = strtol(line + k + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Start a measurement: false (with a reason for harness_skip) when it cannot be done. */
static inline bool rss_peak_reset(long *rss_before, const char **why) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f || fputs("5", f) < 0) {
        if (f)
            fclose(f);
        *why = "cannot reset the peak RSS (/proc/self/clear_refs): not measured";
        return false;
    }
    if (fclose(f) != 0) {
        *why = "cannot reset the peak RSS (/proc/self/clear_refs): not measured";
        return false;
    }
    *rss_before = proc_status_kib("VmRSS");
    if (*rss_before < 0 || proc_status_kib("VmHWM") < 0) {
        *why = "no VmRSS/VmHWM in /proc/self/status: not measured";
        return false;
    }
    return true;
}

/* KiB the peak went above the RSS at rss_peak_reset. */
static inline long rss_peak_growth(long rss_before) { return proc_status_kib("VmHWM") - rss_before; }

#endif
