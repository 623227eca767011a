/* Shared by the picture renderers (SVG, PNG): the map as rows of colour
 * indexes, by the terminal map's rules (render_ansi.c), and the colours. */
#ifndef MPHEAP_SRC_LIB_RENDER_PICTURE_H
#define MPHEAP_SRC_LIB_RENDER_PICTURE_H

#include "../analyses.h"

#define PIC_GROUP 64
/* The rainbow alternates heads' colours by ordinal % 4. */
#define PIC_PHASES 4

/* Colour indexes: a head type's (and its tails') by phase, then the roles. */
enum {
    PIC_FREE = MPH_TYPE_COUNT * PIC_PHASES,
    PIC_LARGEST,
    PIC_BLOCKER,
    PIC_LOW,
    PIC_MID,
    PIC_HIGH,
    PIC_FULL,
    PIC_BLANK, /* past an area's end, and the page */
    PIC_N
};

static inline unsigned char pic_head(mph_type t, unsigned phase) {
    return (unsigned char)(t * PIC_PHASES + phase);
}

/* The RGB of every colour index for a palette. */
void mph__pic_colors(mph_palette_kind pal, mph_rgb out[PIC_N]);
/* The RGB a picture gives a palette style: its background, or its foreground
 * when it colours only the glyph. */
mph_rgb mph__pic_rgb(mph_style st);

/* Walks the map row by row. */
typedef struct pic_walk {
    const mph_snapshot *s;
    uint64_t scale;
    size_t per_row; /* cells per row */
    bool largest;   /* mark the largest free run */
    size_t largest_area, largest_start, largest_end;
    bool small_run; /* overview: the run covers few cells, mark the cells it
                       touches */
    const mph_window *window;
    size_t area, block; /* where the next row starts */
    unsigned char tail; /* the last head's colour: its tails' */
    unsigned phase;
    unsigned char *mk; /* per_row marks (scale 1) */
} pic_walk;

/* Checks the options: MPH_ERR_ARG with a message when bad. */
mph_status mph__pic_check(const mph_snapshot *s, const mph_picture_options *o, const mph_sink *sink,
                          mph_error *err);
/* MPH_ERR_NOMEM, or OK. Free with mph__pic_walk_fini. */
mph_status mph__pic_walk_init(pic_walk *w, const mph_snapshot *s, const mph_picture_options *o,
                              mph_error *err);
void mph__pic_walk_fini(pic_walk *w);
/* Cells of area a (each `scale` blocks) and its rows. */
size_t mph__pic_cells(const pic_walk *w, size_t a);
size_t mph__pic_rows(const pic_walk *w, size_t a);
/* Start area a (rows then come from its first block). */
void mph__pic_area(pic_walk *w, size_t a);
/* The next row of the current area into out[per_row] (PIC_BLANK past the end);
 * returns the first block of that row. */
size_t mph__pic_row(pic_walk *w, unsigned char *out);

#endif
