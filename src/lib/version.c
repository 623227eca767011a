/* The library's version and build features: the one list that `mpheap --version` and the
 * Python binding (mpheap.features()) print. */
#include "figures.h"
#include "internal.h"

const char *mph_version_string(void) { return MPH_VERSION; }

int mph_version_number(void) { return MPH_VERSION_NUMBER; }

// libpng is linked whenever the library is built with it (render_png.c: MPH_HAVE_PNG,
// 0 in the Windows build, which has no libpng).
#if MPH_HAVE_PNG
#define PNG_WORD "+libpng"
#else
#define PNG_WORD "-libpng"
#endif

const char *mph_version_features(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    // The scanner the parser really uses, not what the compiler could do.
    if (mph__rows_scan_pick(false) == mph__rows_scan_avx2)
        return "+avx2 " PNG_WORD;
#endif
    return "-avx2 " PNG_WORD;
}
