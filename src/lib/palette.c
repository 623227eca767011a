/* The one palette every renderer uses: colours chosen by role, never by a
 * renderer. A colour is one of the terminal's 16 (its ANSI index, and the RGB
 * xterm's default theme gives it), or exact: a colour of xterm's 256-colour
 * cube or grey ramp, which terminals do not theme, with one of the 16 as its
 * stand-in where only 16 exist. The terminal map and any later HTML/SVG/PNG
 * output take the same RGB from here.
 *
 * The default palette, "safe", is exact: its colours were chosen so that every
 * pair of roles that must be told apart stays apart for protanopia and
 * deuteranopia too (tests/unit/test_palette.c measures it; README, "Colours"). */
#include "internal.h"

#include <string.h>

enum { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE,
       BRIGHT_BLACK, BRIGHT_RED, BRIGHT_GREEN, BRIGHT_YELLOW, BRIGHT_BLUE, BRIGHT_MAGENTA,
       BRIGHT_CYAN, BRIGHT_WHITE };

static const mph_rgb xterm[16] = {
    {0, 0, 0},       {205, 0, 0},     {0, 205, 0},     {205, 205, 0},
    {0, 0, 238},     {205, 0, 205},   {0, 205, 205},   {229, 229, 229},
    {127, 127, 127}, {255, 0, 0},     {0, 255, 0},     {255, 255, 0},
    {92, 92, 255},   {255, 0, 255},   {0, 255, 255},   {255, 255, 255}};

mph_rgb mph_xterm256_rgb(uint8_t i) {
    if (i < 16)
        return xterm[i];
    if (i >= 232) {
        uint8_t v = (uint8_t)(8 + 10 * (i - 232));
        return (mph_rgb){v, v, v};
    }
    static const uint8_t level[6] = {0, 95, 135, 175, 215, 255};
    unsigned k = i - 16u;
    return (mph_rgb){level[k / 36], level[k / 6 % 6], level[k % 6]};
}

static mph_color ansi_color(int i) { return (mph_color){(uint8_t)i, xterm[i], 0}; }

/* An exact colour (256-colour index x) with the 16-colour stand-in i. */
static mph_color exact(int x, int i) {
    return (mph_color){(uint8_t)i, mph_xterm256_rgb((uint8_t)x), (uint8_t)x};
}

static mph_style style(int fg, int bg) {
    mph_style s;
    s.fg = ansi_color(fg);
    s.bg = ansi_color(bg);
    s.plain = false;
    s.default_bg = false;
    return s;
}

static mph_style exact_style(mph_color fg, mph_color bg) {
    mph_style s = {fg, bg, false, false};
    return s;
}

static mph_style fg_only(int fg) {
    mph_style s = style(fg, BLACK);
    s.default_bg = true;
    return s;
}

static mph_style plain(void) {
    mph_style s = style(WHITE, BLACK);
    s.plain = true;
    return s;
}

static const char *const palette_names[] = {"safe", "notebook", "type", "rainbow", "mono"};

bool mph_palette_parse(const char *name, mph_palette_kind *out) {
    for (int i = 0; i < 5; i++)
        if (strcmp(name, palette_names[i]) == 0) {
            *out = (mph_palette_kind)i;
            return true;
        }
    if (strcmp(name, "seed") == 0) { // the old name of "notebook": old command lines still work
        *out = MPH_PALETTE_NOTEBOOK;
        return true;
    }
    return false;
}

const char *mph_palette_name(mph_palette_kind kind) {
    return (unsigned)kind < 5 ? palette_names[kind] : "?";
}

/* The type palette: one background per type, each readable with its foreground. */
static const int type_bg[MPH_TYPE_COUNT] = {YELLOW, BLUE, MAGENTA, CYAN, BRIGHT_BLUE,
                                            BRIGHT_YELLOW, RED, BRIGHT_MAGENTA, BRIGHT_BLACK,
                                            BRIGHT_RED};
static const int type_fg[MPH_TYPE_COUNT] = {BLACK, BRIGHT_WHITE, BRIGHT_WHITE, BLACK, BLACK,
                                            BLACK, BRIGHT_WHITE, BLACK, BRIGHT_WHITE, BLACK};

/* The safe palette's heads: 256-colour indexes of the backgrounds, in mph_type
 * order, and of the letters (16 black or 231 white, whichever is more legible:
 * a WCAG contrast of at least 4.5). Chosen by measure, not by eye: test_palette.c. */
static const int safe_bg[MPH_TYPE_COUNT] = {
    94,  /* T tuple       #875f00 brown */
    101, /* L list        #87875f khaki */
    103, /* D dict        #8787af slate */
    75,  /* S str/bytes   #5fafff sky blue */
    115, /* A bytearray   #87d7af mint */
    218, /* F float       #ffafd7 pink */
    172, /* B bytecode    #d78700 orange */
    24,  /* M module      #005f87 deep teal */
    247, /* h other       #9e9e9e grey */
    243  /* m marked      #767676 dark grey */
};
static const int safe_fg[MPH_TYPE_COUNT] = {231, 16, 16, 16, 16, 16, 16, 231, 16, 16};

static mph_style safe_head(mph_type type) {
    // 16 colours only: the type palette's colours stand in.
    return exact_style(exact(safe_fg[type], type_fg[type]), exact(safe_bg[type], type_bg[type]));
}

/* The safe palette's roles: fg and bg 256-colour indexes, and their 16-colour stand-ins. */
static mph_style safe_role(int fg, int fg16, int bg, int bg16) {
    return exact_style(exact(fg, fg16), exact(bg, bg16));
}

mph_style mph_palette_head(mph_palette_kind kind, mph_type type, uint64_t ordinal) {
    if ((unsigned)type >= MPH_TYPE_COUNT)
        type = MPH_TYPE_OTHER;
    // The seed notebook: white letters on red, black for 'h'; modules black on cyan.
    int seed_fg = (type == MPH_TYPE_OTHER || type == MPH_TYPE_MARKED) ? BLACK : WHITE;
    switch (kind) {
    case MPH_PALETTE_SAFE:
        return safe_head(type);
    case MPH_PALETTE_NOTEBOOK:
        if (type == MPH_TYPE_MODULE)
            return style(BLACK, CYAN);
        return style(seed_fg, RED);
    case MPH_PALETTE_RAINBOW: {
        if (type == MPH_TYPE_MODULE || type == MPH_TYPE_MARKED)
            return mph_palette_head(MPH_PALETTE_NOTEBOOK, type, ordinal);
        static const int cycle[4] = {BLUE, RED, MAGENTA, CYAN};
        return style(seed_fg, cycle[ordinal % 4]);
    }
    case MPH_PALETTE_TYPE:
        return style(type_fg[type], type_bg[type]);
    case MPH_PALETTE_MONO:
        break;
    }
    return plain();
}

/* The safe palette's roles. The map's (free, the largest free run, blockers)
 * and the overview's levels (a ramp that gets lighter as it fills) are apart
 * from every head and from each other; the diff's five are apart from each
 * other: taken memory orange, given back blue, reused violet, kept grey. */
static mph_style safe(mph_role role) {
    switch (role) {
    case MPH_ROLE_FREE:
    case MPH_ROLE_DIFF_FREE: return safe_role(244, BRIGHT_BLACK, 236, BLACK);
    case MPH_ROLE_LARGEST_FREE: return safe_role(231, BRIGHT_WHITE, 63, BLUE);
    case MPH_ROLE_BLOCKER: return safe_role(16, BRIGHT_WHITE, 226, MAGENTA);
    case MPH_ROLE_LEVEL_LOW: return safe_role(231, BLACK, 60, YELLOW);
    case MPH_ROLE_LEVEL_MID: return safe_role(16, BLACK, 38, BRIGHT_YELLOW);
    case MPH_ROLE_LEVEL_HIGH: return safe_role(16, BLACK, 43, BRIGHT_RED);
    case MPH_ROLE_LEVEL_FULL: return safe_role(16, WHITE, 159, RED);
    case MPH_ROLE_GUTTER: return fg_only(BRIGHT_BLACK);
    case MPH_ROLE_DIFF_KEPT: return safe_role(16, BRIGHT_WHITE, 244, BRIGHT_BLACK);
    case MPH_ROLE_DIFF_FREED: return safe_role(231, BLACK, 25, GREEN);
    case MPH_ROLE_DIFF_ALLOCATED: return safe_role(16, BRIGHT_WHITE, 208, RED);
    case MPH_ROLE_DIFF_REUSED: return safe_role(16, BLACK, 177, YELLOW);
    case MPH_ROLE_COUNT: break;
    }
    return plain();
}

mph_style mph_palette_role(mph_palette_kind kind, mph_role role) {
    if (kind == MPH_PALETTE_MONO)
        return plain();
    if (kind == MPH_PALETTE_SAFE)
        return safe(role);
    switch (role) {
    case MPH_ROLE_FREE:
        return kind == MPH_PALETTE_TYPE ? fg_only(BRIGHT_BLACK) : style(GREEN, GREEN);
    case MPH_ROLE_LARGEST_FREE:
        return style(BRIGHT_WHITE, BLUE);
    case MPH_ROLE_LEVEL_LOW:
        return style(BLACK, YELLOW);
    case MPH_ROLE_LEVEL_MID:
        return style(BLACK, BRIGHT_YELLOW);
    case MPH_ROLE_LEVEL_HIGH:
        return style(BLACK, BRIGHT_RED);
    case MPH_ROLE_LEVEL_FULL:
        return style(WHITE, RED);
    case MPH_ROLE_GUTTER:
        return fg_only(BRIGHT_BLACK);
    // The 16-colour palettes' diff roles (the notebook's): unchanged memory
    // stays quiet grey, what was given back is green, what was taken is red,
    // and memory that now holds something else is yellow.
    case MPH_ROLE_DIFF_FREE:
        return fg_only(BRIGHT_BLACK);
    case MPH_ROLE_DIFF_KEPT:
        return style(BRIGHT_WHITE, BRIGHT_BLACK);
    case MPH_ROLE_DIFF_FREED:
        return style(BLACK, GREEN);
    case MPH_ROLE_DIFF_ALLOCATED:
        return style(BRIGHT_WHITE, RED);
    case MPH_ROLE_BLOCKER:
        return style(BRIGHT_WHITE, MAGENTA);
    case MPH_ROLE_DIFF_REUSED:
        return style(BLACK, YELLOW);
    case MPH_ROLE_COUNT:
        break;
    }
    return plain();
}
