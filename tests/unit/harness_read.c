/* Reading a whole file, for the unit tests (harness.c) and the fuzz replay
 * (fuzz/replay_main.c); kept apart from harness.c, which has a main. */
#include "harness.h"

#include <stdlib.h>

char *harness_read_stream(FILE *f, size_t *len) {
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            } else {
                buf = b;
            }
        }
    }
    if (buf)
        *len = n;
    return buf;
}
