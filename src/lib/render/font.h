/* A small bitmap font of our own for the PNG pictures: printable ASCII,
 * 5 x 9 pixel glyphs (7 above the baseline, 2 below for descenders) in a
 * 6 x 12 cell; any other byte draws a placeholder box. Scaled by whole
 * pixels. */
#ifndef MPHEAP_SRC_LIB_RENDER_FONT_H
#define MPHEAP_SRC_LIB_RENDER_FONT_H

#define MPH_FONT_W 5       /* glyph columns */
#define MPH_FONT_H 9       /* glyph rows */
#define MPH_FONT_ADVANCE 6 /* a character's cell across */
#define MPH_FONT_LINE 12   /* a line of text down: 1 row above the glyph, 2 below */
#define MPH_FONT_TOP 1     /* the glyph's first row in its line */

/* Row r (0 .. MPH_FONT_H - 1) of byte c's glyph as bits: bit 4 the leftmost
 * column, bit 0 the rightmost. Bytes outside 0x20-0x7e give the placeholder. */
unsigned mph__font_row(unsigned char c, unsigned r);

#endif
