/* Replays inputs through the fuzz harness without libFuzzer: any compiler,
 * any build (the test run uses it on fuzz/corpus/ and tests/data/). Takes
 * files and directories; a failed check aborts, so the exit status tells. */
#include "../tests/unit/harness.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz-replay: %s: cannot open\n", path);
        return 1;
    }
    size_t n = 0;
    char *buf = harness_read_stream(f, &n);
    fclose(f);
    if (!buf) {
        fprintf(stderr, "fuzz-replay: %s: out of memory\n", path);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
    free(buf);
    replayed++;
    return 0;
}

static int replay(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "fuzz-replay: %s: no such file\n", path);
        return 1;
    }
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        rc |= replay(sub);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= replay(argv[i]);
    printf("fuzz-replay: %lu inputs replayed\n", replayed);
    return rc;
}
