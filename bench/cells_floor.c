/*
 * cells_floor: what the model's memory alone costs, for the parse benchmark.
 * Allocates a byte per block, as the parser does, writes every byte (64 at a
 * time, as rows are copied), frees it, and exits: a process that reads no
 * text and checks nothing, so its time is a floor under any parser that
 * keeps a byte per block. On the benchmark's VM the page faults of fresh
 * memory are slow enough that for the 512 MiB heap this floor alone is over
 * twice the time of wc -l on the dump.
 *
 *   cells_floor BLOCKS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fputs("usage: cells_floor BLOCKS\n", stderr);
        return 2;
    }
    size_t n = strtoull(argv[1], NULL, 10);
    char *cells = malloc(n ? n : 1);
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
