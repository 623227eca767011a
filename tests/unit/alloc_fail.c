/* Allocation-failure injection: every library entry point returns an error, without
 * leaking, when any allocation fails (issue 14). This binary replaces malloc, calloc,
 * realloc and free (forwarding to glibc's __libc_* functions) with a countdown that makes
 * the Nth allocation fail, and counts the live allocations. Each scenario (a parse fed
 * whole and in chunks, a diff, a timeline of an array and one read as a stream through
 * the parser's hook, a verdict, a stats report, a check, and their text, JSON, CSV and
 * HTML reports) runs once for every N from 1 until it no longer reaches an Nth
 * allocation. Each run must:
 *   - return MPH_OK (the failure was survived) or an error with the error struct filled
 *     (its code and a message), never crash;
 *   - leave as many live allocations as before it (after freeing what it returned).
 * An allocation of the library's own that fails while the call still returns MPH_OK is an
 * error too: the output would be silently short.
 * Usage: alloc-fail [DUMP-OR-LOG]; ends with "alloc-fail: N passed, N failed, N skipped".
 * Not under ASan (it replaces malloc itself): the plain build's run is the one that counts. */
#include "mpheap.h"

#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static atomic_long live;      /* allocations not freed yet */
static atomic_long countdown; /* >0: the allocation that brings it to 0 fails */
static atomic_long seen;      /* allocations asked for while armed */
static atomic_bool armed;
static atomic_bool failed_here; /* the failed allocation was asked for by code of this binary */

/* The program's own code (libmpheap is linked in statically); glibc's qsort, zlib and libpng
 * are shared libraries, and may cope with a failure on their own (qsort sorts in place). */
extern char __executable_start, etext;

/* True when this allocation (asked for from caller) is to fail. */
static bool fail_now(const void *caller) {
    if (!atomic_load(&armed))
        return false;
    atomic_fetch_add(&seen, 1);
    if (atomic_fetch_sub(&countdown, 1) != 1)
        return false;
    atomic_store(&failed_here, (const char *)caller >= &__executable_start &&
                                   (const char *)caller < &etext);
    return true;
}

void *malloc(size_t n) {
    if (fail_now(__builtin_return_address(0)))
        return NULL;
    void *p = __libc_malloc(n);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

void *calloc(size_t n, size_t size) {
    if (fail_now(__builtin_return_address(0)))
        return NULL;
    void *p = __libc_calloc(n, size);
    if (p)
        atomic_fetch_add(&live, 1);
    return p;
}

void *realloc(void *old, size_t n) {
    if (!old) {
        if (fail_now(__builtin_return_address(0)))
            return NULL;
        void *p = __libc_malloc(n);
        if (p)
            atomic_fetch_add(&live, 1);
        return p;
    }
    if (n == 0) {
        free(old);
        return NULL;
    }
    if (fail_now(__builtin_return_address(0)))
        return NULL;
    return __libc_realloc(old, n);
}

void free(void *p) {
    if (p) {
        atomic_fetch_sub(&live, 1);
        __libc_free(p);
    }
}

/* ------------------------------------------------------------ the scenarios */

static const char *dump_text;
static size_t dump_len;
static mph_log *log_all; /* parsed unarmed, for the analyses */

typedef struct null_sink {
    size_t bytes;
} null_sink;

static mph_status null_write(void *ctx, const char *buf, size_t len) {
    (void)buf;
    ((null_sink *)ctx)->bytes += len;
    return MPH_OK;
}

/* A run's status, checked: an error is filled. */
static bool status_ok(mph_status st, const mph_error *err) {
    return st == MPH_OK || (err->code == st && err->message[0] != '\0');
}

typedef mph_status (*scenario)(mph_error *err);

static mph_status sc_parse(mph_error *err) {
    mph_parse_options o = {0, false};
    mph_log *log = NULL;
    mph_status st = mph_log_parse(dump_text, dump_len, &o, &log, err);
    if (st == MPH_OK && !log)
        return MPH_ERR_INVARIANT;
    mph_log_free(log);
    return st;
}

/* The dump fed 777 bytes at a time, keeping the maps `keep` says (skimming the others). */
static mph_status parse_in_chunks(long keep, bool skim, mph_log **log, mph_error *err) {
    mph_parse_options o = {0, false};
    mph_parser *p = mph_parser_new(&o);
    if (!p) {
        err->code = MPH_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "mph_parser_new: NULL");
        return MPH_ERR_NOMEM;
    }
    mph_parser_keep_maps(p, keep);
    mph_parser_skim_maps(p, skim);
    mph_status st = MPH_OK;
    for (size_t at = 0; at < dump_len && st == MPH_OK; at += 777) {
        size_t n = dump_len - at < 777 ? dump_len - at : 777;
        st = mph_parser_feed(p, dump_text + at, n, err);
    }
    if (st == MPH_OK)
        st = mph_parser_finish(p, log, err);
    mph_parser_free(p);
    return st;
}

static mph_status sc_parse_chunks(mph_error *err) {
    mph_log *log = NULL;
    mph_status st = parse_in_chunks(MPH_KEEP_ALL, false, &log, err);
    mph_log_free(log);
    return st;
}

/* show --snapshot 2: the second map kept, the others only read and checked
 * (mph_parser_skim_maps), in chunks; a skimmed snapshot has no stats. A read
 * that succeeds with a wrong answer is counted in skim_wrong (run() takes any
 * located error for a good one). */
static long skim_wrong;
static mph_status parse_skimming(long keep, mph_error *err) {
    mph_log *log = NULL;
    mph_status st = parse_in_chunks(keep, true, &log, err);
    for (size_t i = 0; st == MPH_OK && i < mph_log_snapshot_count(log); i++) {
        const mph_snapshot *s = mph_log_snapshot(log, i);
        if (mph_snapshot_header_only(s))
            continue;
        mph_stats stats;
        mph_error e = {0};
        bool kept = keep == MPH_KEEP_LAST ? i + 1 == mph_log_snapshot_count(log) : i == 1;
        mph_status want = kept || keep == MPH_KEEP_LAST ? MPH_OK : MPH_ERR_ARG;
        if (mph_stats_compute(s, MPH_ALL_AREAS, &stats, &e) != want ||
            mph_snapshot_has_map(s) != kept)
            skim_wrong++;
    }
    mph_log_free(log);
    return st;
}

static mph_status sc_parse_skim(mph_error *err) { return parse_skimming(1, err); }
/* show (the last): each map given back, its stats kept, once the next one begins. */
static mph_status sc_parse_skim_last(mph_error *err) { return parse_skimming(MPH_KEEP_LAST, err); }

static const mph_snapshot *snap(size_t i) {
    size_t n = mph_log_snapshot_count(log_all);
    return mph_log_snapshot(log_all, i < n ? i : n - 1);
}

static mph_status sc_diff(mph_error *err) {
    mph_diff *d = NULL;
    mph_status st = mph_diff_compute(snap(0), snap(99), &d, err);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    size_t idx[120], got;
    st = mph_diff_largest(d, false, 120, idx, &got, err);
    if (st == MPH_OK)
        st = mph_render_text_diff(d, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_diff(d, &o, &sink, err);
    mph_picture_options po;
    mph_picture_options_init(&po);
    if (st == MPH_OK)
        st = mph_render_diff_svg(d, &po, &sink, err);
    mph_diff_free(d);
    return st;
}

static mph_status sc_timeline(mph_error *err) {
    size_t n = mph_log_snapshot_count(log_all);
    const mph_snapshot *snaps[64];
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++)
        snaps[i] = snap(i);
    mph_timeline *t = NULL;
    mph_status st = mph_timeline_compute(snaps, NULL, n, &t, err);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    st = mph_render_text_timeline(t, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_timeline(t, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_csv_timeline(t, &sink, err);
    mph_picture_options po;
    mph_picture_options_init(&po);
    if (st == MPH_OK)
        st = mph_render_timeline_svg(t, &po, &sink, err);
    mph_timeline_free(t);
    return st;
}

/* The timeline read as a stream: no map kept, each one handed to the builder by the
 * parser's hook (which copies the last one), in chunks. */
static mph_status add_to_builder(void *ctx, const mph_snapshot *s, size_t index, mph_error *err) {
    (void)index;
    return mph_timeline_builder_add(ctx, s, err);
}

static mph_status sc_timeline_stream(mph_error *err) {
    mph_timeline_builder *b = mph_timeline_builder_new();
    mph_parser *p = b ? mph_parser_new(NULL) : NULL;
    if (!p) {
        mph_timeline_builder_free(b);
        err->code = MPH_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "mph_timeline_builder_new, mph_parser_new: NULL");
        return MPH_ERR_NOMEM;
    }
    mph_parser_keep_maps(p, MPH_KEEP_NONE);
    mph_parser_on_snapshot(p, add_to_builder, b);
    mph_status st = MPH_OK;
    for (size_t at = 0; at < dump_len && st == MPH_OK; at += 777)
        st = mph_parser_feed(p, dump_text + at, dump_len - at < 777 ? dump_len - at : 777, err);
    mph_log *log = NULL;
    if (st == MPH_OK)
        st = mph_parser_finish(p, &log, err);
    mph_parser_free(p);
    // A log with no map at all: its snapshots reach the log only at its end.
    for (size_t i = 0; st == MPH_OK && mph_timeline_builder_row_count(b) == 0 &&
                       i < mph_log_snapshot_count(log);
         i++)
        st = mph_timeline_builder_add(b, mph_log_snapshot(log, i), err);
    mph_timeline *t = NULL;
    if (st == MPH_OK)
        st = mph_timeline_builder_finish(b, NULL, &t, err);
    mph_timeline_builder_free(b);
    mph_log_free(log);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    st = mph_render_text_timeline(t, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_timeline(t, &o, &sink, err);
    mph_timeline_free(t);
    return st;
}

static mph_status sc_verdict(mph_error *err) {
    mph_verdict *v = NULL;
    mph_status st = mph_verdict_new(snap(99), 4096, &v, err);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    st = mph_render_text_verdict(v, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_verdict(v, &o, &sink, err);
    mph_verdict_free(v);
    return st;
}

static mph_status sc_stats(mph_error *err) {
    static const uint64_t fits[] = {16, 4096};
    mph_stats_report *r = NULL;
    mph_status st = mph_stats_report_new(snap(99), fits, 2, &r, err);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    st = mph_render_text_stats(r, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_stats(r, &o, &sink, err);
    mph_stats_report_free(r);
    return st;
}

static mph_status sc_check(mph_error *err) {
    mph_check_limit limits[] = {
        {MPH_CHECK_MIN_LARGEST_FREE, 1024, 0, MPH_TYPE_COUNT, 0, false},
        {MPH_CHECK_MIN_FIT, 3, 0, MPH_TYPE_COUNT, 64, false},
        {MPH_CHECK_NEED, 0, 0, MPH_TYPE_COUNT, 4096, false},
    };
    mph_check_result res[3];
    size_t n_failed;
    mph_status st = mph_check_run(snap(99), limits, 3, res, &n_failed, err);
    if (st != MPH_OK)
        return st;
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_text_options o = {0};
    st = mph_render_text_check(res, 3, &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_json_check(res, 3, &o, &sink, err);
    return st;
}

static mph_status sc_show(mph_error *err) {
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_ansi_options o = {2, true, MPH_PALETTE_SAFE, true, 1, false, NULL, MPH_COLORS_256, 0};
    mph_status st = mph_render_ansi_summary(snap(99), &o, &sink, err);
    if (st == MPH_OK)
        st = mph_render_ansi_map(snap(99), &o, &sink, err);
    mph_picture_options po;
    mph_picture_options_init(&po);
    if (st == MPH_OK)
        st = mph_render_svg(snap(99), &po, &sink, err);
    if (st == MPH_OK)
        st = mph_render_png(snap(99), &po, &sink, err);
    return st;
}

static mph_status sc_html(mph_error *err) {
    null_sink ns = {0};
    mph_sink sink = {null_write, &ns};
    mph_html_options ho;
    mph_html_options_init(&ho, log_all);
    ho.name = "log";
    return mph_render_html(log_all, &ho, &sink, err);
}

static int n_pass, n_fail;

/* Fail the Nth allocation for N = 1, 2, ... until the scenario makes fewer than N. */
static long run(const char *name, scenario sc, long max_n, bool quiet) {
    long n, bad = 0, injected = 0, coped = 0;
    for (n = 1; n <= max_n; n++) {
        mph_error err;
        memset(&err, 0, sizeof err);
        long before = atomic_load(&live);
        atomic_store(&seen, 0);
        atomic_store(&failed_here, false);
        atomic_store(&countdown, n);
        atomic_store(&armed, true);
        mph_status st = sc(&err);
        atomic_store(&armed, false);
        long leaked = atomic_load(&live) - before;
        bool reached = atomic_load(&seen) >= n;
        // Our own code must say so when an allocation failed; a shared library may cope.
        bool silent = reached && st == MPH_OK && atomic_load(&failed_here);
        if (reached && st == MPH_OK)
            coped++;
        if (leaked != 0 || !status_ok(st, &err) || silent) {
            if (bad++ < 5 && !quiet)
                printf("FAIL alloc-fail/%s: allocation %ld failed: %s%s, %ld allocation(s) "
                       "leaked%s%s\n",
                       name, n, mph_status_name(st), silent ? " (the failure went unreported)" : "",
                       leaked, st ? ": " : "", st ? err.message : "");
        }
        if (!reached)
            break;
        injected++;
    }
    if (n > max_n) {
        printf("FAIL alloc-fail/%s: still allocating after %ld\n", name, max_n);
        bad++;
    }
    if (injected == 0) {
        printf("FAIL alloc-fail/%s: no allocation to fail\n", name);
        bad++;
    }
    if (quiet)
        return bad;
    if (bad) {
        n_fail++;
        printf("FAIL alloc-fail/%s: %ld of %ld runs went wrong\n", name, bad, n);
    } else {
        n_pass++;
        printf("ok alloc-fail/%s: each of %ld allocations failed in turn: no leak, an error "
               "(%ld times a shared library's coped, e.g. qsort's)\n",
               name, injected, coped);
    }
    return bad;
}

/* The detector itself: a function that leaks its first allocation when the second fails. */
static mph_status sc_leaky(mph_error *err) {
    char *a = malloc(16), *b = malloc(16);
    if (!a || !b) {
        free(b); // a is leaked on purpose
        err->code = MPH_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "leaky");
        return MPH_ERR_NOMEM;
    }
    free(a);
    free(b);
    return MPH_OK;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "tests/data/variants/canon/c15.txt";
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("FAIL alloc-fail: cannot open %s\nalloc-fail: 0 passed, 1 failed, 0 skipped\n", path);
        return 1;
    }
    size_t n = 0;
    char *buf = harness_read_stream(f, &n);
    fclose(f);
    if (!buf)
        return 1;
    dump_text = buf;
    dump_len = n;
    mph_parse_options o = {0, false};
    mph_error err = {0};
    if (mph_log_parse(buf, n, &o, &log_all, &err) != MPH_OK) {
        printf("FAIL alloc-fail: %s: %s\nalloc-fail: 0 passed, 1 failed, 0 skipped\n", path,
               err.message);
        return 1;
    }
    if (run("self-check", sc_leaky, 10, true) != 1) {
        printf("FAIL alloc-fail/self-check: a leak on the second allocation's failure went unseen\n");
        n_fail++;
    } else {
        n_pass++;
        printf("ok alloc-fail/self-check: a planted leak is found\n");
    }
    run("parse", sc_parse, 100000, false);
    run("parse-chunks", sc_parse_chunks, 100000, false);
    run("parse-skim", sc_parse_skim, 100000, false);
    run("parse-skim-last", sc_parse_skim_last, 100000, false);
    if (skim_wrong) {
        printf("FAIL alloc-fail/parse-skim-answers: %ld snapshots kept or skimmed wrongly\n",
               skim_wrong);
        n_fail++;
    } else {
        n_pass++;
        printf("ok alloc-fail/parse-skim-answers: the second map kept, the others skimmed\n");
    }
    run("diff", sc_diff, 100000, false);
    run("timeline", sc_timeline, 100000, false);
    run("timeline-stream", sc_timeline_stream, 100000, false);
    run("verdict", sc_verdict, 100000, false);
    run("stats", sc_stats, 100000, false);
    run("check", sc_check, 100000, false);
    run("show-svg-png", sc_show, 100000, false);
    run("html", sc_html, 100000, false);
    mph_log_free(log_all);
    free(buf);
    printf("alloc-fail: %d passed, %d failed, 0 skipped\n", n_pass, n_fail);
    return n_fail != 0;
}

#else /* UNDER_ASAN */

int main(void) {
    printf("SKIP alloc-fail: built with AddressSanitizer, which owns malloc; the plain build's "
           "run (make test) injects the failures\n");
    printf("alloc-fail: 0 passed, 0 failed, 1 skipped\n");
    return 0;
}

#endif
