/*
 * cells_floor: what the model's memory alone costs, for the parse benchmark.
 * Allocates a byte per block, as the parser does, writes every byte (64 at a
 * time, as rows are copied), frees it, and exits: a process that reads no
 * text and checks nothing, so its time is a floor under any parser that
 * keeps a byte per block. On the benchmark's VM the page faults of fresh
 * memory are slow enough that for the 512 MiB heap this floor alone is over
 * twice the time of wc -l on the dump.
 *
 * With HEADS, the same floor for the model MicroPython keeps itself: 2 bits
 * per block (free, head, tail, mark) and the type letter of each head, a
 * byte per head: BLOCKS / 4 + HEADS bytes, written as a parser would (the
 * bit map 16 bytes per 64 blocks, the letters one by one, spread evenly).
 *
 * Memory of 1 MiB or more is asked for in huge pages where Linux has them
 * (MADV_HUGEPAGE), as the parser asks for a big map's cells (parser.c,
 * grow_cells): the floor is what the parser's own way of taking memory costs.
 *
 *   cells_floor BLOCKS [HEADS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* malloc, in huge pages from 1 MiB up (the parser's HUGE_MAP_BLOCKS cells). */
static void *floor_alloc(size_t n) {
    void *p = malloc(n ? n : 1);
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + n) & ~(huge - 1);
    if (p && n >= ((size_t)1 << 20) && hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    return p;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fputs("usage: cells_floor BLOCKS [HEADS]\n", stderr);
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    if (argc == 3) {
        size_t heads = strtoull(argv[2], NULL, 10), bits = (n + 3) / 4;
        unsigned char *map = floor_alloc(bits), *letters = floor_alloc(heads);
        if (!map || !letters) {
            fputs("cells_floor: out of memory\n", stderr);
            return 1;
        }
        // The letters go in as the rows that hold them are read: interleaved with the map.
        size_t h = 0, rows = n / 64 ? n / 64 : 1;
        for (size_t i = 0, r = 0; i + 16 <= bits; i += 16, r++) {
            memset(map + i, 0x55, 16);
            for (size_t want = heads * (r + 1) / rows; h < want; h++)
                letters[h] = 'h';
        }
        for (; h < heads; h++)
            letters[h] = 'h';
        printf("%zu blocks, %zu heads, %d %c\n", n, heads, bits ? map[bits / 2] : 0,
               heads ? letters[heads / 2] : '-');
        free(map);
        free(letters);
        return 0;
    }
    char *cells = floor_alloc(n);
    if (!cells) {
        fputs("cells_floor: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i + 64 <= n; i += 64)
        memset(cells + i, '.', 64);
    // Read one byte back so the writes cannot be left out.
    printf("%zu blocks, %c\n", n, n ? cells[n / 2] : '-');
    free(cells);
    return 0;
}
