/* What MinGW-w64's C library lacks and the portable code uses: memmem (a GNU
 * and BSD function that POSIX 2024 adds), defined in src/lib/compat_win32.c.
 * Included before every file of the Windows build (Makefile: -include). */
#ifndef MPHEAP_COMPAT_WIN32_COMPAT_H
#define MPHEAP_COMPAT_WIN32_COMPAT_H

#include <stddef.h>

void *memmem(const void *haystack, size_t haystack_len, const void *needle, size_t needle_len);

#endif
