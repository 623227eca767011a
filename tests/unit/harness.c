#include "harness.h"

#include <dirent.h>
#include <stdlib.h>

#define MAX_TESTS 1024

typedef struct test_entry {
    const char *name;
    test_fn fn;
} test_entry;

static test_entry tests[MAX_TESTS];
static int n_tests, checks_failed_in_test, skipped_in_test;
static const char *current;

void harness_register(const char *name, test_fn fn) {
    if (n_tests < MAX_TESTS)
        tests[n_tests++] = (test_entry){name, fn};
}

void harness_check(int ok, const char *file, int line, const char *expr, const char *detail) {
    if (ok)
        return;
    checks_failed_in_test++;
    fprintf(stderr, "FAIL %s (%s:%d): %s%s%s\n", current, file, line, expr, detail ? ": " : "",
            detail ? detail : "");
}

void harness_skip(const char *why) {
    skipped_in_test = 1;
    printf("SKIP %s: %s\n", current, why);
}

char *harness_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = harness_read_stream(f, len);
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0, skipped = 0;
    const char *only = argc > 1 ? argv[1] : NULL;
    for (int i = 0; i < n_tests; i++) {
        if (only && !strstr(tests[i].name, only))
            continue;
        current = tests[i].name;
        checks_failed_in_test = 0;
        skipped_in_test = 0;
        tests[i].fn();
        if (checks_failed_in_test)
            failed++;
        else if (skipped_in_test)
            skipped++;
        else
            passed++;
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

static int by_path(const void *a, const void *b) { return strcmp(a, b); }

size_t harness_list_txt(const char *const *dirs, size_t n_dirs, char paths[][256], size_t cap) {
    size_t n = 0;
    for (size_t k = 0; k < n_dirs; k++) {
        DIR *d = opendir(dirs[k]);
        if (!d)
            continue;
        size_t first = n;
        struct dirent *e;
        while ((e = readdir(d)) && n < cap) {
            size_t len = strlen(e->d_name);
            if (len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0)
                snprintf(paths[n++], 256, "%s/%s", dirs[k], e->d_name);
        }
        closedir(d);
        qsort(paths + first, n - first, 256, by_path);
    }
    return n;
}
