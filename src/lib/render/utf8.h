/* Text that reaches a JSON, CSV or HTML document is valid UTF-8: labels, times
 * and names come from files and boards and may hold any byte. */
#ifndef MPHEAP_SRC_LIB_RENDER_UTF8_H
#define MPHEAP_SRC_LIB_RENDER_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* U+FFFD REPLACEMENT CHARACTER in UTF-8, written for each invalid sequence. */
#define MPH_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* The next sequence of the NUL-terminated s (*s != 0): returns its length in bytes
 * and sets *valid. A valid sequence is a well-formed character of RFC 3629 (no
 * overlong forms, no surrogates, nothing above U+10FFFF). An invalid one is the
 * longest prefix of a well-formed sequence (at least one byte), to be replaced by
 * one U+FFFD: Unicode's "maximal subpart" rule, the one WHATWG's decoder follows. */
size_t mph__utf8_next(const char *s, bool *valid);

struct mph_outbuf;
/* Write the sequence at s (*s >= 0x80) to o, or U+FFFD for an invalid one;
 * returns its length in s, as mph__utf8_next. */
size_t mph__out_utf8(struct mph_outbuf *o, const char *s);

#endif
