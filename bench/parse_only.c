/*
 * parse_only: the parser alone, for the benchmarks. Reads FILE (or stdin) in
 * 128 KiB chunks, as the CLI does (src/cli/common.c), feeds each to
 * mph_parser_feed, finishes, and prints the number of snapshots and of blocks
 * so the work cannot be optimised away.
 *
 *   parse_only [FILE]
 */
#include "mpheap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (128u << 10)

int main(int argc, char **argv) {
    if (argc > 2) {
        fputs("usage: parse_only [FILE]\n", stderr);
        return 2;
    }
    const char *path = argc == 2 ? argv[1] : NULL;
    int fd = path ? open(path, O_RDONLY) : 0;
    if (fd < 0) {
        fprintf(stderr, "parse_only: %s: %s\n", path, strerror(errno));
        return 1;
    }
    char *buf = malloc(CHUNK);
    mph_parser *p = mph_parser_new(NULL);
    mph_log *log = NULL;
    mph_error err = {0};
    int rc = 1;
    if (!buf || !p) {
        fputs("parse_only: out of memory\n", stderr);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "parse_only: read: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (mph_parser_feed(p, buf, (size_t)n, &err) != MPH_OK)
            goto fail;
    }
    if (mph_parser_finish(p, &log, &err) != MPH_OK)
        goto fail;
    size_t blocks = 0, count = mph_log_snapshot_count(log);
    for (size_t i = 0; i < count; i++)
        blocks += mph_snapshot_block_count(mph_log_snapshot(log, i));
    printf("%zu snapshots, %zu blocks\n", count, blocks);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "parse_only: %s:%lu:%lu: %s\n", path ? path : "<stdin>", err.line, err.column,
            err.message);
out:
    mph_log_free(log);
    mph_parser_free(p);
    free(buf);
    if (fd > 0)
        close(fd);
    return rc;
}
