/* A small test harness in the style of cmark's: tests register themselves,
 * the runner prints one line per failure and a closing "N passed, N failed". */
#ifndef MPHEAP_TESTS_UNIT_HARNESS_H
#define MPHEAP_TESTS_UNIT_HARNESS_H

#include "mpheap.h"

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void harness_register(const char *name, test_fn fn);
void harness_check(int ok, const char *file, int line, const char *expr, const char *detail);
/* Read a whole file; NULL when missing (the caller decides to skip). Free with free(). */
char *harness_read_file(const char *path, size_t *len);
/* Read the rest of f; NULL when out of memory. Free with free(). (harness_read.c) */
char *harness_read_stream(FILE *f, size_t *len);
void harness_skip(const char *why);
/* The .txt files of the n folders dirs, each folder's sorted by name, into
 * paths (cap of them at most); how many. (harness.c) */
size_t harness_list_txt(const char *const *dirs, size_t n, char paths[][256], size_t cap);

#define TEST(name)                                                                                \
    static void name(void);                                                               \
    __attribute__((constructor)) static void register_##name(void) {                             \
        harness_register(#name, name);                                                            \
    }                                                                                             \
    static void name(void)

#define CHECK(expr) harness_check(!!(expr), __FILE__, __LINE__, #expr, NULL)

#define CHECK_EQ(a, b)                                                                            \
    do {                                                                                          \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);            \
        char d_[96];                                                                              \
        snprintf(d_, sizeof d_, "%llu != %llu", a_, b_);                                          \
        harness_check(a_ == b_, __FILE__, __LINE__, #a " == " #b, d_);                            \
    } while (0)

#define CHECK_STR(a, b)                                                                           \
    do {                                                                                          \
        const char *a_ = (a), *b_ = (b);                                                          \
        int ok_ = a_ && b_ && strcmp(a_, b_) == 0;                                                \
        char d_[400];                                                                             \
        snprintf(d_, sizeof d_, "\"%s\" != \"%s\"", a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
        harness_check(ok_, __FILE__, __LINE__, #a " == " #b, d_);                                 \
    } while (0)

#endif
