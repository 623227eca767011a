#include "harness.h"

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
