/*
 * gen_dump: write a synthetic but valid micropython.mem_info(1) dump of a big
 * heap, for the benchmarks (bench/run.sh). Deterministic for a given seed.
 *
 *   gen_dump [--blocks N] [--block-size B] [--seed S] [--fill PCT] [--churn PCT] [-o FILE]
 *
 * The default is the 512 MiB heap of the issue: 16 Mi blocks of 32 bytes
 * (the 64-bit unix port's block size), one area, v1.20+ format.
 *
 * How the heap is made, roughly as a MicroPython program fragments it:
 *  1. fill: allocations one after the other from the bottom up to PCT% of
 *     the heap (default 95), sizes mostly 1..8 blocks with a long tail of
 *     buffers up to 4096 blocks, typed by size (floats and tuples small,
 *     buffers 'A', list/dict storage 'h'); the first 2% is dense and holds
 *     the modules ('M') and bytecode ('B'), as after import;
 *  2. drop: walking the allocations, free runs of 1..4 and keep runs of
 *     1..3, with rare bulk frees (a dropped temporary structure) and rare
 *     dense stretches; the first 2% is never freed;
 *  3. churn (only with --churn PCT, to make the NEW side of a diff): free
 *     PCT% of the allocations left, then allocate new objects into free runs.
 *
 * The header figures (GC total/used/free, 1-blocks, 2-blocks, max blk sz,
 * max free sz) are computed from the map as gc.c does, rows are "%08x" block
 * offsets and runs of two or more free lines are printed as
 * "(N lines all free)" exactly where gc_dump_alloc_table() prints them, so
 * mpheap's invariant checks hold. LF line ends, as the unix port prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_CELLS 64

static uint64_t rng_state;

/* splitmix64: small, fast, good enough, and the same everywhere. */
static uint64_t rnd(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint64_t between(uint64_t lo, uint64_t hi) {
    return lo + rnd() % (hi - lo + 1);
}

static uint64_t alloc_size(void) {
    uint64_t r = rnd() % 100000;
    if (r < 52000)
        return 1;
    if (r < 72000)
        return 2;
    if (r < 84000)
        return between(3, 4);
    if (r < 93000)
        return between(5, 8);
    if (r < 98500)
        return between(9, 32);
    if (r < 99700)
        return between(33, 128);
    if (r < 99980)
        return between(129, 1024);
    return between(1025, 4096);
}

/* A head letter, by weights out of 100, for the size class. */
static char alloc_type(uint64_t n, int import_zone) {
    uint64_t r = rnd() % 100;
    if (import_zone) {
        if (r < 2)
            return 'M';
        if (r < 30)
            return 'B';
        if (r < 45)
            return 'D';
        if (r < 65)
            return 'S';
        return 'h';
    }
    if (n == 1)
        return r < 40 ? 'h' : r < 65 ? 'S' : r < 80 ? 'F' : r < 90 ? 'T' : r < 95 ? 'L' : 'D';
    if (n <= 4)
        return r < 45 ? 'h' : r < 65 ? 'S' : r < 75 ? 'T' : r < 85 ? 'B' : r < 90 ? 'A'
               : r < 95 ? 'L' : 'D';
    if (n <= 32)
        return r < 55 ? 'h' : r < 70 ? 'S' : r < 85 ? 'B' : r < 95 ? 'A' : 'T';
    return r < 50 ? 'h' : r < 80 ? 'A' : r < 95 ? 'S' : 'B';
}

/* Length of the allocation whose head is at i (its tails follow). */
static uint64_t alloc_len(const char *cells, uint64_t n, uint64_t i) {
    uint64_t j = i + 1;
    while (j < n && cells[j] == '=')
        j++;
    return j - i;
}

static void fill(char *cells, uint64_t n, uint64_t upto, uint64_t dense) {
    uint64_t i = 0;
    while (i < upto) {
        uint64_t len = alloc_size();
        if (i < dense && len > 64)
            len = between(1, 16);
        if (i + len > upto)
            break;
        cells[i] = alloc_type(len, i < dense);
        memset(cells + i + 1, '=', len - 1);
        i += len;
    }
    memset(cells + i, '.', n - i);
}

static void drop(char *cells, uint64_t n, uint64_t dense) {
    uint64_t i = dense;
    // Skip to the first head after the dense part.
    while (i < n && cells[i] == '=')
        i++;
    int dropping = 1;
    uint64_t left = between(1, 4), bulk = 0, keep_all = 0;
    while (i < n) {
        if (cells[i] == '.') {
            i++;
            continue;
        }
        uint64_t len = alloc_len(cells, n, i);
        if (!bulk && !keep_all) {
            uint64_t r = rnd() % 100000;
            if (r < 3)
                bulk = between(200, 4000); // a temporary structure dropped at once
            else if (r < 8)
                keep_all = between(500, 8000); // long-lived objects made together
        }
        int free_it;
        if (bulk) {
            free_it = 1;
            bulk--;
        } else if (keep_all) {
            free_it = 0;
            keep_all--;
        } else {
            free_it = dropping;
            if (--left == 0) {
                dropping = !dropping;
                left = dropping ? between(1, 4) : between(1, 3);
            }
        }
        if (free_it)
            memset(cells + i, '.', len);
        i += len;
    }
}

static void churn(char *cells, uint64_t n, uint64_t dense, unsigned pct) {
    uint64_t freed = 0;
    uint64_t i = dense;
    while (i < n && cells[i] == '=')
        i++;
    while (i < n) {
        if (cells[i] == '.') {
            i++;
            continue;
        }
        uint64_t len = alloc_len(cells, n, i);
        if (rnd() % 100 < pct) {
            memset(cells + i, '.', len);
            freed += len;
        }
        i += len;
    }
    // Allocate about as much again into free runs (first fit from the bottom, as gc_alloc).
    uint64_t budget = freed;
    i = dense;
    while (i < n && budget) {
        if (cells[i] != '.') {
            i++;
            continue;
        }
        uint64_t run = 0;
        while (i + run < n && cells[i + run] == '.')
            run++;
        if (rnd() % 2) {
            uint64_t at = i;
            for (;;) {
                uint64_t len = alloc_size();
                if (len > at + run - i || len > budget)
                    break;
                cells[at] = alloc_type(len, 0);
                memset(cells + at + 1, '=', len - 1);
                at += len;
                budget -= len;
                run -= len;
                if (rnd() % 4 == 0)
                    break; // leave the rest of the hole
            }
            i = at;
        }
        i += run;
    }
}

typedef struct figures {
    uint64_t used, free, n1, n2, max_block, max_free;
} figures;

/* What gc_info() computes, from the map. */
static figures count(const char *cells, uint64_t n) {
    figures f = {0, 0, 0, 0, 0, 0};
    uint64_t run_free = 0;
    for (uint64_t i = 0; i < n;) {
        if (cells[i] == '.') {
            f.free++;
            if (++run_free > f.max_free)
                f.max_free = run_free;
            i++;
            continue;
        }
        run_free = 0;
        uint64_t len = alloc_len(cells, n, i);
        f.used += len;
        if (len == 1)
            f.n1++;
        else if (len == 2)
            f.n2++;
        if (len > f.max_block)
            f.max_block = len;
        i += len;
    }
    return f;
}

static int write_dump(FILE *out, const char *cells, uint64_t n, unsigned bpb, uint64_t seed) {
    figures f = count(cells, n);
    uint64_t total = n * bpb;
    // The mem: line is MICROPY_MEM_STATS (the unix port has it); not tied to the map.
    fprintf(out, "mem: total=%" PRIu64 ", current=%" PRIu64 ", peak=%" PRIu64 "\n",
            f.used * bpb * 3 + 4096, f.used * bpb + 1024, total * 9 / 10);
    fprintf(out, "stack: 2192 out of 80000\n");
    fprintf(out, "GC: total: %" PRIu64 ", used: %" PRIu64 ", free: %" PRIu64 "\n", total,
            f.used * bpb, f.free * bpb);
    fprintf(out,
            " No. of 1-blocks: %" PRIu64 ", 2-blocks: %" PRIu64 ", max blk sz: %" PRIu64
            ", max free sz: %" PRIu64 "\n",
            f.n1, f.n2, f.max_block, f.max_free);
    // An address like the unix port's mmap'ed heap; depends on the seed, as between runs.
    fprintf(out, "GC memory layout; from %" PRIx64 ":", 0x7f0000000010u + ((seed & 0xffff) << 16));
    char line[16 + LINE_CELLS + 2];
    for (uint64_t bl = 0; bl < n; bl++) {
        if (bl % LINE_CELLS == 0) {
            uint64_t bl2 = bl;
            while (bl2 < n && cells[bl2] == '.')
                bl2++;
            if (bl2 - bl >= 2 * LINE_CELLS) {
                fprintf(out, "\n       (%u lines all free)", (unsigned)((bl2 - bl) / LINE_CELLS));
                bl = bl2 & ~(uint64_t)(LINE_CELLS - 1);
                if (bl >= n)
                    break;
            }
            uint64_t end = bl + LINE_CELLS < n ? bl + LINE_CELLS : n;
            int k = snprintf(line, sizeof line, "\n%08x: ", (unsigned)(bl * bpb));
            memcpy(line + k, cells + bl, end - bl);
            fwrite(line, 1, (size_t)k + (end - bl), out);
            bl = end - 1;
        }
    }
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        return 0;
    *out = v;
    return 1;
}

static const char usage[] =
    "usage: gen_dump [--blocks N] [--block-size B] [--seed S] [--fill PCT] [--churn PCT] [-o FILE]\n"
    "Write a valid, fragmented micropython.mem_info(1) dump (default: 16777216 blocks of 32\n"
    "bytes = a 512 MiB heap, seed 1, filled to 95%, no churn) to FILE or stdout.\n";

int main(int argc, char **argv) {
    uint64_t n = 16u << 20, bpb = 32, seed = 1, fill_pct = 95, churn_pct = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t *dst = !strcmp(a, "--blocks")       ? &n
                        : !strcmp(a, "--block-size") ? &bpb
                        : !strcmp(a, "--seed")       ? &seed
                        : !strcmp(a, "--fill")       ? &fill_pct
                        : !strcmp(a, "--churn")      ? &churn_pct
                                                     : NULL;
        if (dst && i + 1 < argc && parse_u64(argv[i + 1], dst)) {
            i++;
        } else if (!strcmp(a, "-o") && i + 1 < argc) {
            path = argv[++i];
        } else {
            fputs(usage, !strcmp(a, "-h") || !strcmp(a, "--help") ? stdout : stderr);
            return !strcmp(a, "-h") || !strcmp(a, "--help") ? 0 : 2;
        }
    }
    if (n < 64 || n % 4 || n * bpb > UINT32_MAX + 1ull || bpb < 4 || (bpb & (bpb - 1)) ||
        fill_pct > 100 || churn_pct > 100) {
        fprintf(stderr, "gen_dump: blocks must be a multiple of 4 (>= 64), the heap at most 4 GiB "
                        "(rows are %%08x), the block size a power of two, percentages <= 100\n");
        return 2;
    }
    char *cells = malloc(n);
    if (!cells) {
        fprintf(stderr, "gen_dump: out of memory\n");
        return 1;
    }
    rng_state = seed;
    uint64_t dense = n / 50;
    fill(cells, n, n * fill_pct / 100, dense);
    drop(cells, n, dense);
    if (churn_pct) {
        rng_state = seed ^ 0x5eed5eed5eedu;
        churn(cells, n, dense, (unsigned)churn_pct);
    }
    FILE *out = path ? fopen(path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "gen_dump: %s: %s\n", path, strerror(errno));
        free(cells);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(out, buf, _IOFBF, sizeof buf);
    int rc = write_dump(out, cells, n, (unsigned)bpb, seed);
    if ((path ? fclose(out) : fflush(out)) != 0)
        rc = -1;
    free(cells);
    if (rc) {
        fprintf(stderr, "gen_dump: write failed: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
