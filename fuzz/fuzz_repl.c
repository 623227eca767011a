/* libFuzzer harness for the raw-REPL client's response parser (src/lib/device/repl.c),
 * fed by a fake transport: the input is what the board says, whatever the host writes.
 *
 * Byte 0 picks the options: bit 0 soft reset on entering, bit 1 no raw-paste, bits 2-3
 * what runs after entering (exec, snapshot, exec_start + follow, interrupt and leave),
 * bit 4 gc.collect() before a snapshot, bits 5-7 bytes per read (1, 2, 3, 7, 64, 256,
 * 4096, all). The rest is the board's bytes; a NUL byte there is a quiet spell (one read
 * that times out, the byte itself is not sent). When the bytes run out the board hangs
 * up, so every call ends: the deadlines are short, and a wait that sees nothing ends.
 * Checks, each an abort when broken:
 *   - every call returns a status the header documents for it, and a failure fills the
 *     error (its code, a message);
 *   - what reaches the output sink of a snapshot stays within mph_repl_dump_limit;
 *   - the traceback is a string, and a raise (MPH_ERR_RAISED) has one;
 *   - the client never reads past the board's bytes, and after it hangs up it stops reading.
 * Built with -fsanitize=fuzzer by `make fuzz`, and as a replay binary of the test run. */
#include "mpheap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                             \
    do {                                                                                          \
        if (!(c)) {                                                                               \
            fprintf(stderr, "fuzz_repl: check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);     \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

typedef struct board {
    const uint8_t *data;
    size_t len, at, chunk;
    unsigned reads_after_gone; /* reads after the hang-up was reported */
    bool gone;
    size_t written;
} board;

static mph_status board_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                             mph_error *err) {
    board *b = ctx;
    (void)timeout_ms;
    FUZZ_CHECK(cap > 0 && buf != NULL);
    if (b->at < b->len && b->data[b->at] == 0) { // a quiet spell
        b->at++;
        if (err) {
            err->code = MPH_ERR_TIMEOUT;
            snprintf(err->message, sizeof err->message, "fake board: quiet");
        }
        return MPH_ERR_TIMEOUT;
    }
    if (b->at >= b->len) {
        if (b->gone)
            b->reads_after_gone++;
        b->gone = true;
        if (err) {
            err->code = MPH_ERR_GONE;
            snprintf(err->message, sizeof err->message, "fake board: hung up");
        }
        return MPH_ERR_GONE;
    }
    size_t n = b->len - b->at;
    if (n > cap)
        n = cap;
    if (n > b->chunk)
        n = b->chunk;
    // Up to the next quiet spell only.
    const uint8_t *nul = memchr(b->data + b->at, 0, n);
    if (nul)
        n = (size_t)(nul - (b->data + b->at));
    memcpy(buf, b->data + b->at, n);
    b->at += n;
    *got = n;
    return MPH_OK;
}

static mph_status board_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                              mph_error *err) {
    board *b = ctx;
    (void)timeout_ms;
    FUZZ_CHECK(buf != NULL || len == 0);
    if (b->gone) {
        if (err) {
            err->code = MPH_ERR_GONE;
            snprintf(err->message, sizeof err->message, "fake board: hung up");
        }
        return MPH_ERR_GONE;
    }
    b->written += len;
    return MPH_OK;
}

typedef struct out {
    size_t len;
    uint64_t limit; /* of a snapshot's dump, from its first 4096 bytes */
    char head[4096];
} out;

static mph_status out_write(void *ctx, const char *buf, size_t len) {
    out *o = ctx;
    if (o->len < sizeof o->head) {
        size_t k = sizeof o->head - o->len < len ? sizeof o->head - o->len : len;
        memcpy(o->head + o->len, buf, k);
    }
    o->len += len;
    return MPH_OK;
}

static void check_status(mph_status rc, const mph_error *err) {
    FUZZ_CHECK(rc == MPH_OK || rc == MPH_ERR_TIMEOUT || rc == MPH_ERR_GONE ||
               rc == MPH_ERR_DEVICE || rc == MPH_ERR_RAISED || rc == MPH_ERR_LIMIT ||
               rc == MPH_ERR_IO || rc == MPH_ERR_NOMEM || rc == MPH_ERR_ARG);
    if (rc != MPH_OK)
        FUZZ_CHECK(err->code == rc && err->message[0] != '\0' &&
                   memchr(err->message, '\0', sizeof err->message) != NULL);
}

static void check_traceback(const mph_repl *r, mph_status rc) {
    const char *tb = mph_repl_traceback(r);
    FUZZ_CHECK(tb != NULL);
    (void)strlen(tb);
    if (rc == MPH_ERR_RAISED)
        FUZZ_CHECK(tb[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    static const size_t chunks[8] = {1, 2, 3, 7, 64, 256, 4096, SIZE_MAX};
    uint8_t opt = data[0];
    board b = {data + 1, size - 1, 0, chunks[opt >> 5], 0, false, 0};
    static const mph_transport_ops ops = {board_read, board_write, NULL};
    mph_transport *t = mph_transport_new(&ops, &b, "fuzz");
    if (!t)
        return 0;
    // Short deadlines: the fake board answers at once or never.
    mph_repl_options ro = {0};
    ro.timeout_ms = 5;
    ro.enter_timeout_ms = 20;
    ro.snapshot_timeout_ms = 50;
    ro.pace_ms = 0;
    ro.no_raw_paste = (opt & 2) != 0;
    mph_repl *r = mph_repl_new(t, &ro);
    if (!r) {
        mph_transport_free(t);
        return 0;
    }
    mph_error err = {0};
    mph_status rc = mph_repl_enter(r, (opt & 1) != 0, &err);
    check_status(rc, &err);
    if (rc == MPH_OK) {
        out o = {0};
        mph_sink sink = {out_write, &o};
        memset(&err, 0, sizeof err);
        switch ((opt >> 2) & 3) {
        case 0:
            rc = mph_repl_exec(r, "print(1)", 8, &sink, &err);
            check_status(rc, &err);
            check_traceback(r, rc);
            break;
        case 1:
            rc = mph_repl_snapshot(r, (opt & 16) != 0, &sink, &err);
            check_status(rc, &err);
            check_traceback(r, rc);
            // The limit follows the dump's own header; a little slack for the last read.
            FUZZ_CHECK(o.len <= mph_repl_dump_limit(o.head, o.len < 4096 ? o.len : 4096) + 4096 ||
                       rc != MPH_OK);
            break;
        case 2:
            rc = mph_repl_exec_start(r, "x", 1, &err);
            check_status(rc, &err);
            for (int i = 0; i < 3 && (rc == MPH_OK || rc == MPH_ERR_TIMEOUT); i++) {
                memset(&err, 0, sizeof err);
                mph_repl_set_deadline(r, i == 2 ? 1 : 0);
                rc = mph_repl_follow(r, &sink, 2, &err);
                check_status(rc, &err);
                check_traceback(r, rc);
                if (rc == MPH_OK)
                    break;
            }
            break;
        default:
            rc = mph_repl_interrupt(r, &err);
            check_status(rc, &err);
            memset(&err, 0, sizeof err);
            rc = mph_repl_leave(r, &err);
            check_status(rc, &err);
            break;
        }
    }
    FUZZ_CHECK(b.at <= b.len);
    FUZZ_CHECK(b.reads_after_gone < 4); // a hung-up board is not polled in a loop
    FUZZ_CHECK(mph_repl_raw_paste(r) >= -1 && mph_repl_raw_paste(r) <= 1);
    (void)mph_repl_noise(r);
    (void)mph_repl_saw_soft_reboot(r);
    (void)mph_repl_stopped_program(r);
    mph_repl_free(r);
    mph_transport_free(t);
    // The dump limit on the bytes themselves.
    uint64_t lim = mph_repl_dump_limit((const char *)data + 1, size - 1);
    FUZZ_CHECK(lim >= 65536);
    return 0;
}
