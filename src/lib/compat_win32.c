/* Windows: the C library functions MinGW-w64 lacks (src/compat/win32/compat.h). */
#include <string.h>

#include "../compat/win32/compat.h"

void *memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len) {
    const unsigned char *h = haystack, *n = needle;
    if (needle_len == 0)
        return (void *)h;
    if (needle_len > haystack_len)
        return NULL;
    const unsigned char *last = h + (haystack_len - needle_len);
    for (const unsigned char *p = h; p <= last; p++) {
        p = memchr(p, n[0], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, n, needle_len) == 0)
            return (void *)p;
    }
    return NULL;
}
