/* UTF-8 validation for the renderers (utf8.h). */
#include "utf8.h"
#include "../internal.h"

size_t mph__utf8_next(const char *s, bool *valid) {
    const unsigned char *p = (const unsigned char *)s;
    unsigned c = p[0], lo = 0x80, hi = 0xbf;
    size_t need;
    *valid = true;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        if (c == 0xe0)
            lo = 0xa0; // below: overlong
        else if (c == 0xed)
            hi = 0x9f; // above: UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        if (c == 0xf0)
            lo = 0x90; // below: overlong
        else if (c == 0xf4)
            hi = 0x8f; // above: past U+10FFFF
    } else {
        // 80-BF (a lone continuation), C0-C1 (always overlong), F5-FF (never used)
        *valid = false;
        return 1;
    }
    // The terminating NUL is no continuation byte, so this stops at the end.
    for (size_t i = 1; i <= need; i++) {
        if (p[i] < lo || p[i] > hi) {
            *valid = false;
            return i;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need + 1;
}

size_t mph__out_utf8(mph_outbuf *o, const char *s) {
    bool valid;
    size_t n = mph__utf8_next(s, &valid);
    if (valid)
        mph__out_write(o, s, n);
    else
        mph__out_puts(o, MPH_UTF8_REPLACEMENT);
    return n;
}
