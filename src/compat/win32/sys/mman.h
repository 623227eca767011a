/* MinGW has no <sys/mman.h>. src/lib/parser.c includes it for madvise(), which
 * it calls only under #if defined(MADV_POPULATE_WRITE): on Windows, nothing.
 * On the include path of the Windows build only (Makefile, `make windows`). */
#ifndef MPHEAP_COMPAT_WIN32_SYS_MMAN_H
#define MPHEAP_COMPAT_WIN32_SYS_MMAN_H
#endif
