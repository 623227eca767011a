/* The raw REPL client against the byte vectors of shared/docs/repl-protocol.md
 * (sections 1.2-1.5), over an in-memory transport that plays a script: each
 * step names the exact bytes the host must have written, then the board's
 * reply becomes readable (a few bytes per read, to exercise reassembly). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct step {
    const char *expect; /* what the host writes (exact) before the reply; NULL ends */
    size_t expect_len;
    const char *reply;
    size_t reply_len;
    mph_status then; /* after the reply is read: MPH_OK, or MPH_ERR_GONE (hang-up) */
} step;

#define S(e, r) {e, sizeof e - 1, r, sizeof r - 1, MPH_OK}
#define S_GONE(e, r) {e, sizeof e - 1, r, sizeof r - 1, MPH_ERR_GONE} /* then the board hangs up */

typedef struct script {
    const step *steps;
    size_t n, at;           /* current step */
    char written[8192];     /* what the host wrote since the current step began */
    size_t written_len;
    const char *pending;    /* reply bytes not read yet */
    size_t pending_len;
    mph_status after_reply; /* what reads return once the reply is read and nothing is next */
    bool mismatch;
    bool any_writes;        /* accept anything (a board that never answers) */
    char all[16384];        /* every byte written, for checks */
    size_t all_len;
    size_t chunk;           /* bytes per read */
    bool real_time;         /* a read with nothing to give waits its timeout, as a port's does */
} script;

static void advance(script *s) {
    // The current step's expected bytes are all written: release its reply.
    while (s->at < s->n && !s->pending_len && s->written_len >= s->steps[s->at].expect_len) {
        const step *st = &s->steps[s->at];
        if (memcmp(s->written, st->expect, st->expect_len) != 0) {
            s->mismatch = true;
            return;
        }
        memmove(s->written, s->written + st->expect_len, s->written_len - st->expect_len);
        s->written_len -= st->expect_len;
        s->pending = st->reply;
        s->pending_len = st->reply_len;
        s->after_reply = st->then;
        s->at++;
    }
}

static mph_status script_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                              mph_error *err) {
    script *s = ctx;
    advance(s);
    if (!s->pending_len && s->real_time && timeout_ms > 0) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!s->pending_len) {
        mph_status st = s->after_reply == MPH_ERR_GONE ? MPH_ERR_GONE : MPH_ERR_TIMEOUT;
        if (err) {
            err->code = st;
            snprintf(err->message, sizeof err->message, "script: %s", mph_status_name(st));
        }
        return st;
    }
    size_t n = s->pending_len < cap ? s->pending_len : cap;
    if (s->chunk && n > s->chunk)
        n = s->chunk;
    memcpy(buf, s->pending, n);
    s->pending += n;
    s->pending_len -= n;
    *got = n;
    return MPH_OK;
}

static mph_status script_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                               mph_error *err) {
    (void)timeout_ms;
    (void)err;
    script *s = ctx;
    if (s->all_len + len <= sizeof s->all) {
        memcpy(s->all + s->all_len, buf, len);
        s->all_len += len;
    }
    if (s->any_writes)
        return MPH_OK;
    if (s->written_len + len > sizeof s->written) {
        s->mismatch = true;
        return MPH_ERR_IO;
    }
    memcpy(s->written + s->written_len, buf, len);
    s->written_len += len;
    // Written bytes must stay a prefix of what the current step expects.
    if (s->at < s->n) {
        const step *st = &s->steps[s->at];
        size_t k = s->written_len < st->expect_len ? s->written_len : st->expect_len;
        if (memcmp(s->written, st->expect, k) != 0)
            s->mismatch = true;
    } else {
        s->mismatch = true;
    }
    return MPH_OK;
}

static mph_transport *script_open(script *s, const step *steps, size_t n) {
    memset(s, 0, sizeof *s);
    s->steps = steps;
    s->n = n;
    s->chunk = 3;
    static const mph_transport_ops ops = {script_read, script_write, NULL};
    return mph_transport_new(&ops, s, "script");
}

static mph_status collect(void *ctx, const char *buf, size_t len) {
    char *out = ctx;
    size_t have = strlen(out);
    if (have + len >= 4096)
        return MPH_ERR_IO;
    memcpy(out + have, buf, len);
    out[have + len] = '\0';
    return MPH_OK;
}

/* The opening every session starts with (1.2): \r\x03\x03, quiet, \r\x01, the banner. */
#define ENTER                                                                                     \
    S("\r\x03\x03", "\r\n>>> \r\n>>> "), S("\r\x01", "\r\nraw REPL; CTRL-B to exit\r\n>")

static const mph_repl_options quick = {1000, 1000, 0, false, 0, NULL};

TEST(repl_enter_and_print_123) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),                  // raw-paste: understood, not supported
        S("print(123)\x04", "OK123\r\n\x04\x04>"), // 1.4 row 1
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_raw_paste(r), -1);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print(123)", 10, &sink, &err), MPH_OK);
    CHECK_STR(out, "123\r\n");
    CHECK_EQ(mph_repl_raw_paste(r), 0);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 4);
    uint64_t in, outb;
    mph_transport_counts(t, &in, &outb);
    CHECK_EQ(outb, 3 + 2 + 3 + 11);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_exceptions_carry_the_traceback) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S("1/0\x04", "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, "
                     "in <module>\r\nZeroDivisionError: divide by zero\r\n\x04>"),
        // The '>' above is read before the next run; raw-paste is not asked again.
        S("def\x04", "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\n"
                     "SyntaxError: invalid syntax\r\n\x04>"),
        S("print('after')\x04", "OKafter\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 6);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec(r, "1/0", 3, NULL, &err), MPH_ERR_RAISED);
    CHECK_EQ(err.code, MPH_ERR_RAISED);
    CHECK(strstr(err.message, "ZeroDivisionError: divide by zero") != NULL);
    CHECK(strchr(err.message, '\r') == NULL);
    CHECK_STR(mph_repl_traceback(r), "Traceback (most recent call last):\n  File \"<stdin>\", "
                                     "line 1, in <module>\nZeroDivisionError: divide by zero");
    CHECK_EQ(mph_repl_exec(r, "def", 3, NULL, &err), MPH_ERR_RAISED);
    CHECK(strstr(err.message, "SyntaxError: invalid syntax") != NULL);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print('after')", 14, &sink, &err), MPH_OK);
    CHECK_STR(out, "after\r\n");
    CHECK_STR(mph_repl_traceback(r), "");
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 6);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_raw_paste_flow_control) {
    // 300 bytes of code: the board grants 128 (W) + 128 (the \x01 it sends at
    // once); the host must wait for another \x01 before the last 44 bytes.
    static char code[301];
    memset(code, '#', 300);
    code[300] = '\0';
    static char rest[64];
    memset(rest, '#', 44);
    memcpy(rest + 44, "\x04", 2);
    step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x01\x80\x00\x01"),
        {code, 256, "\x01", 1, MPH_OK},
        {rest, 45, "\x04" "done\r\n\x04\x04>", 11, MPH_OK}, // \x04 echo, then the usual framing
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, code, 300, &sink, &err), MPH_OK);
    CHECK_STR(out, "done\r\n");
    CHECK_EQ(mph_repl_raw_paste(r), 1);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 5);
    // The docs' own example, from the board's side: R\x01, window 128, one \x01, the \x04 echo.
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_raw_paste_docs_example) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x01\x80\x00\x01"),
        S("print(123)\x04", "\x04" "123\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print(123)", 10, &sink, &err), MPH_OK);
    CHECK_STR(out, "123\r\n");
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_raw_paste_abort) {
    // The board stops reading (SyntaxError while streaming): it sends \x04, the
    // host answers \x04 and stops sending, then the error comes framed.
    static char code[201];
    memset(code, 'x', 200);
    code[200] = '\0';
    step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x01\x80\x00"),
        {code, 128, "\x04", 1, MPH_OK},
        S("\x04", "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\n"
                  "SyntaxError: invalid syntax\r\n\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec(r, code, 200, NULL, &err), MPH_ERR_RAISED);
    CHECK(strstr(err.message, "SyntaxError") != NULL);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 5);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_raw_paste_pre_1_14) {
    // Firmware older than v1.14 takes the \x01 as "reset the raw REPL".
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "raw REPL; CTRL-B to exit\r\n>"),
        S("print(123)\x04", "OK123\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print(123)", 10, &sink, &err), MPH_OK);
    CHECK_STR(out, "123\r\n");
    CHECK_EQ(mph_repl_raw_paste(r), 0);
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_raw_paste_unsupported_with_prompt) {
    // pyexec.c prints "R\x00" then '>' for a raw-paste command it does not know.
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00>"),
        S("print(123)\x04", "OK123\r\n\x04\x04>"),
        S("print(4)\x04", "OK4\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print(123)", 10, &sink, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec(r, "print(4)", 8, &sink, &err), MPH_OK);
    CHECK_STR(out, "123\r\n4\r\n");
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_soft_reset_and_system_exit) {
    static const step steps[] = {
        ENTER,
        // 1.4: \x04 on an empty line: OK, then the soft reset (1.1), back in raw mode.
        S("\x04", "OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"),
        S("\x05" "A\x01", "R\x00"),
        // raise SystemExit: OK\x04\x04, then a soft reset, no '>' first.
        S("raise SystemExit\x04", "OK\x04\x04MPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"),
        S("print(1)\x04", "OK1\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 6);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, true, &err), MPH_OK);
    CHECK(mph_repl_saw_soft_reboot(r));
    CHECK_EQ(mph_repl_exec(r, "raise SystemExit", 16, NULL, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec(r, "print(1)", 8, NULL, &err), MPH_OK);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 6);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_enter_retries_a_board_that_was_booting) {
    // First try: the board is still booting and prints noise, no banner. Second try works.
    static const step steps[] = {
        S("\r\x03\x03", "ets Jun  8 2016 00:22:57\r\n\xff\xfe rst:0x1"),
        S("\r\x01", ""),
        S("\r\x03\x03", "\r\n>>> "),
        S("\r\x01", "\r\nraw REPL; CTRL-B to exit\r\n>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl_options o = {50, 3000, 0, false, 0, NULL};
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 4);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_board_that_never_answers) {
    script s;
    mph_transport *t = script_open(&s, NULL, 0);
    s.any_writes = true;
    mph_repl_options o = {20, 60, 0, false, 0, NULL};
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_ERR_TIMEOUT);
    CHECK_EQ(err.code, MPH_ERR_TIMEOUT);
    CHECK(strstr(err.message, "did not answer") != NULL);
    // Every try began with Ctrl-C twice, then Ctrl-A.
    CHECK(s.all_len >= 5 && memcmp(s.all, "\r\x03\x03\r\x01", 5) == 0);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_line_noise_is_skipped) {
    static const step steps[] = {
        S("\r\x03\x03", "\x80\x81"),
        S("\r\x01", "\xf0\r\nraw \xeeREPL; CTRL-B to exit\r\n\xfe>"),
        S("\x05" "A\x01", "\xffR\x00"),
        S("print(5)\x04", "\x99\x98OK5\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_exec(r, "print(5)", 8, &sink, &err), MPH_OK);
    CHECK_STR(out, "5\r\n");
    CHECK_EQ(mph_repl_noise(r), 6); // the 2 bytes drained before \r\x01 are not counted
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_hang_up_mid_output) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S_GONE("import micropython;micropython.mem_info(1)\x04",
               "OKstack: 464 out of 32768\r\nGC: total: 64000"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_snapshot(r, false, &sink, &err), MPH_ERR_GONE);
    CHECK_EQ(err.code, MPH_ERR_GONE);
    CHECK_STR(out, "stack: 464 out of 32768\r\nGC: total: 64000"); // what came is delivered
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_snapshot_with_gc_runs_two_steps) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S("import gc;gc.collect()\x04", "OK\x04\x04>"),
        S("import gc;gc.collect();import micropython;micropython.mem_info(1)\x04",
          "OKGC: total: 64000\r\n\x04\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_snapshot(r, true, &sink, &err), MPH_OK);
    CHECK_STR(out, "GC: total: 64000\r\n");
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 5);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_follow_resumes_after_a_quiet_spell) {
    // A program that prints, then goes quiet until the host's Ctrl-C interrupts it.
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S("run()\x04", "OKtick\n"),
        S("\x03", "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in "
                  "<module>\r\nKeyboardInterrupt: \r\n\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec_start(r, "run()", 5, &err), MPH_OK);
    char out[4096] = "";
    mph_sink sink = {collect, out};
    CHECK_EQ(mph_repl_follow(r, &sink, 0, &err), MPH_ERR_TIMEOUT); // still running
    CHECK_STR(out, "tick\n");
    CHECK_EQ(mph_repl_interrupt(r, &err), MPH_OK);
    CHECK_EQ(mph_repl_follow(r, &sink, 0, &err), MPH_ERR_RAISED);
    CHECK(strstr(err.message, "KeyboardInterrupt") != NULL);
    CHECK_STR(out, "tick\n");
    CHECK_EQ(mph_repl_follow(r, &sink, 0, &err), MPH_ERR_ARG); // nothing runs any more
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_refuses_control_bytes_and_empty_code) {
    static const step steps[] = {ENTER};
    script s;
    mph_transport *t = script_open(&s, steps, 2);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec_start(r, "a\x04" "b", 3, &err), MPH_ERR_ARG);
    CHECK(strstr(err.message, "0x04") != NULL);
    CHECK_EQ(mph_repl_exec_start(r, "", 0, &err), MPH_ERR_ARG);
    CHECK(!s.mismatch);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_long_traceback_keeps_its_end) {
    static char reply[2000];
    size_t n = (size_t)snprintf(reply, sizeof reply, "OK\x04Traceback (most recent call last):\r\n");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(reply + n, sizeof reply - n,
                              "  File \"deep.py\", line %d, in f%d\r\n", i + 1, i);
    n += (size_t)snprintf(reply + n, sizeof reply - n, "MemoryError: memory allocation failed, "
                                                       "allocating 4096 bytes\r\n\x04>");
    step steps[] = {ENTER, S("\x05" "A\x01", "R\x00"), {"f()\x04", 4, reply, n, MPH_OK}};
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    s.chunk = 0;
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec(r, "f()", 3, NULL, &err), MPH_ERR_RAISED);
    CHECK(strstr(err.message, "MemoryError: memory allocation failed") != NULL);
    CHECK(strncmp(err.message, "...\n", 4) == 0);
    CHECK(strstr(mph_repl_traceback(r), "line 1, in f0") != NULL); // the full text is kept
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_interrupt_and_leave_bytes) {
    static const step steps[] = {ENTER, S("\x03", ""), S("\r\x02", "\r\nMicroPython v1.27.0\r\n>>> ")};
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_interrupt(r, &err), MPH_OK);
    CHECK_EQ(mph_repl_leave(r, &err), MPH_OK);
    CHECK(!s.mismatch);
    CHECK(s.all_len >= 3 && memcmp(s.all + s.all_len - 3, "\x03\r\x02", 3) == 0);
    mph_repl_free(r);
    mph_transport_free(t);
}

static double elapsed_ms(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

TEST(repl_enter_idle_board_at_once) {
    // An idle board answers at once: no fixed quiet wait before Ctrl-A (it was
    // 150 ms). The transport waits out every read's timeout, as a port does.
    static const step steps[] = {ENTER};
    script s;
    mph_transport *t = script_open(&s, steps, 2);
    s.real_time = true;
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    double ms = elapsed_ms(&t0);
    CHECK(ms < 100);
    if (ms >= 100)
        fprintf(stderr, "  entering took %.1f ms\n", ms);
    CHECK(!mph_repl_stopped_program(r)); // prompts only: nothing was running
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 2);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_enter_retry_still_waits_for_quiet) {
    // A board that reset when the port opened loses the first try; the retry
    // waits for 150 ms of quiet after Ctrl-C before Ctrl-A.
    static const step steps[] = {
        S("\r\x03\x03", "ets Jun  8 2016 00:22:57\r\n"),
        S("\r\x01", "\r\nMicroPython v1.27.0 on 2025-12-10; ESP32 module with ESP32\r\n>>> "),
        S("\r\x03\x03", "\r\n>>> \r\n>>> \r\n>>> "),
        S("\r\x01", "\r\nraw REPL; CTRL-B to exit\r\n>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    s.real_time = true;
    mph_repl_options o = {1000, 5000, 0, false, 0, NULL};
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    double ms = elapsed_ms(&t0);
    CHECK(ms >= 1000 + 150); // the first try's wait for the banner, then the quiet spell
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 4);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_enter_tells_whether_a_program_was_stopped) {
    // main.py was running: Ctrl-C stops it with KeyboardInterrupt (read 3 bytes
    // at a time, so the word arrives in pieces), then the friendly REPL starts.
    static const step running[] = {
        S("\r\x03\x03", "tick 41\ntick 42\nTraceback (most recent call last):\r\n  File "
                        "\"main.py\", line 4, in <module>\r\nKeyboardInterrupt: \r\n\r\n"
                        "MicroPython v1.27.0\r\n>>> \r\n>>> "),
        S("\r\x01", "\r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>"),
    };
    // Code run from the raw REPL by an earlier tool: its interrupt comes framed.
    static const step raw_running[] = {
        S("\r\x03\x03", ""),
        S("\r\x01", "\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 2, in "
                    "<module>\r\nKeyboardInterrupt: \r\n\x04>raw REPL; CTRL-B to exit\r\n>"),
    };
    // A program that prints the word itself is not a stop.
    static const step idle[] = {
        S("\r\x03\x03", "\r\n>>> \r\n>>> \r\n>>> "),
        S("\r\x01", "\r\nraw REPL; CTRL-B to exit\r\n>"),
        S("\x05" "A\x01", "R\x00"),
        S("print('KeyboardInterrupt')\x04", "OKKeyboardInterrupt\n\x04\x04>"),
    };
    const struct {
        const step *steps;
        size_t n;
        bool stopped;
    } cases[] = {{running, 2, true}, {raw_running, 2, true}, {idle, 4, false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        script s;
        mph_transport *t = script_open(&s, cases[i].steps, cases[i].n);
        mph_repl *r = mph_repl_new(t, &quick);
        mph_error err = {0};
        CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
        CHECK_EQ(mph_repl_stopped_program(r), cases[i].stopped);
        if (cases[i].n == 4) {
            CHECK_EQ(mph_repl_exec(r, "print('KeyboardInterrupt')", 26, NULL, &err), MPH_OK);
            CHECK(!mph_repl_stopped_program(r));
        }
        CHECK(!s.mismatch);
        CHECK_EQ(s.at, cases[i].n);
        mph_repl_free(r);
        mph_transport_free(t);
    }
}

TEST(repl_silence_while_code_runs_is_no_error) {
    // The virtual board prints "OK" only when the code has run (it answers a
    // stdin chunk once it is processed): a silent board is running the code,
    // which exec_start must not take for "not accepted". The host's Ctrl-C
    // then stops it.
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S("import time;time.sleep(15)\x04", ""),
        S("\x03", "OK\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in "
                  "<module>\r\nKeyboardInterrupt: \r\n\x04>"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 5);
    s.real_time = true;
    mph_repl_options o = {50, 1000, 0, false, 0, NULL};
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec_start(r, "import time;time.sleep(15)", 26, &err), MPH_OK);
    for (int i = 0; i < 3; i++) // longer than the 50 ms read timeout, and still running
        CHECK_EQ(mph_repl_follow(r, NULL, 30, &err), MPH_ERR_TIMEOUT);
    CHECK_EQ(mph_repl_interrupt(r, &err), MPH_OK);
    CHECK_EQ(mph_repl_follow(r, NULL, 30, &err), MPH_ERR_RAISED);
    CHECK(strstr(err.message, "KeyboardInterrupt") != NULL);
    CHECK(!s.mismatch);
    CHECK_EQ(s.at, 5);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_answer_other_than_ok_is_a_device_error) {
    static const step steps[] = {
        ENTER,
        S("\x05" "A\x01", "R\x00"),
        S("print(1)\x04", "\xffZZ"),
    };
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec_start(r, "print(1)", 8, &err), MPH_OK);
    CHECK_EQ(mph_repl_follow(r, NULL, 0, &err), MPH_ERR_DEVICE);
    CHECK(strstr(err.message, "0x5a 0x00, not OK") != NULL);
    CHECK_EQ(mph_repl_noise(r), 1);
    mph_repl_free(r);
    mph_transport_free(t);
}

/* ------------------------------------------- boards that never stop (issue 14) */

static int64_t now_ms_(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A board that accepts code ("R\x00" to raw-paste, then "OK"), then sends
 * head once and unit for ever, a read at a time; after stop_after reads it
 * raises *stop (a signal arriving). per_read: bytes per read (0: all of a unit). */
typedef struct flood {
    const char *head, *unit;
    size_t at;        /* in head, then in unit */
    bool in_unit;
    int reads, stop_after;
    volatile sig_atomic_t *stop;
    size_t per_read;
    int sleep_ms;
    uint64_t sent;
    bool code_sent;   /* the host's Ctrl-D arrived: the answer starts */
    bool asked_paste;
} flood;

static mph_status flood_read(void *ctx, void *buf, size_t cap, size_t *got, int timeout_ms,
                             mph_error *err) {
    flood *f = ctx;
    (void)timeout_ms;
    if (f->asked_paste) {
        f->asked_paste = false;
        memcpy(buf, "R\x00", 2);
        *got = 2;
        return MPH_OK;
    }
    if (!f->code_sent) {
        if (err) {
            err->code = MPH_ERR_TIMEOUT;
            snprintf(err->message, sizeof err->message, "flood: quiet");
        }
        return MPH_ERR_TIMEOUT;
    }
    if (f->sleep_ms) {
        struct timespec ts = {0, (long)f->sleep_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (++f->reads == f->stop_after && f->stop)
        *f->stop = 1;
    const char *src = f->in_unit ? f->unit : f->head;
    size_t left = strlen(src) - f->at;
    size_t n = f->per_read && f->per_read < left ? f->per_read : left;
    if (n > cap)
        n = cap;
    memcpy(buf, src + f->at, n);
    f->at += n;
    if (f->at == strlen(src)) {
        f->at = 0;
        f->in_unit = true;
    }
    f->sent += n;
    *got = n;
    return MPH_OK;
}

static mph_status flood_write(void *ctx, const void *buf, size_t len, int timeout_ms,
                              mph_error *err) {
    flood *f = ctx;
    (void)timeout_ms;
    (void)err;
    const char *b = buf;
    if (len >= 3 && memcmp(b, "\x05" "A\x01", 3) == 0)
        f->asked_paste = true;
    else if (len && b[len - 1] == 0x04)
        f->code_sent = true;
    return MPH_OK;
}

static mph_transport *flood_open(flood *f) {
    static const mph_transport_ops ops = {flood_read, flood_write, NULL};
    return mph_transport_new(&ops, f, "flood");
}

static mph_status count_bytes(void *ctx, const char *buf, size_t len) {
    (void)buf;
    *(uint64_t *)ctx += len;
    return MPH_OK;
}

#define ROW "00000400: ................................................................\r\n"
#define HEAD65K "OKmem: total=1, current=1, peak=1\r\nstack: 1 out of 2\r\n" \
                "GC: total: 65536, used: 0, free: 65536\r\n"

TEST(repl_dump_limit_from_gc_total) {
    CHECK_EQ(mph_repl_dump_limit(NULL, 0), 65536);
    CHECK_EQ(mph_repl_dump_limit("mem: total=1\r\n", 14), 65536);
    static const char h[] = "stack: 1\r\nGC: total: 65536, used: 0";
    CHECK_EQ(mph_repl_dump_limit(h, sizeof h - 1), 65536 + 16384);
    CHECK_EQ(mph_repl_dump_limit(h, 16), 65536); // the figure has not arrived whole
    static const char big[] = "GC: total: 4294967296, used";
    CHECK_EQ(mph_repl_dump_limit(big, sizeof big - 1), 65536 + 1073741824);
}

TEST(repl_snapshot_of_a_dump_that_never_ends_is_cut_at_its_limit) {
    flood f = {.head = HEAD65K "GC memory layout; from 20000000:\r\n", .unit = ROW};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &quick);
    uint64_t kept = 0;
    mph_sink sink = {count_bytes, &kept};
    mph_error err = {0};
    int64_t t0 = now_ms_();
    CHECK_EQ(mph_repl_snapshot(r, false, &sink, &err), MPH_ERR_LIMIT);
    CHECK(strstr(err.message, "more than its \"GC: total:\" allows") != NULL);
    CHECK(kept <= 65536 + 16384);
    CHECK(now_ms_() - t0 < 3000); // then at most 1 s for the board to end the run
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_snapshot_with_no_header_is_cut_at_64k) {
    flood f = {.head = "OK",
               .unit = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &quick);
    uint64_t kept = 0;
    mph_sink sink = {count_bytes, &kept};
    mph_error err = {0};
    CHECK_EQ(mph_repl_snapshot(r, false, &sink, &err), MPH_ERR_LIMIT);
    CHECK(strstr(err.message, "no \"GC: total:\" line") != NULL);
    CHECK(kept <= 65536);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_stop_flag_ends_a_flood) {
    volatile sig_atomic_t stop = 0;
    mph_repl_options o = {1000, 1000, 0, false, 0, &stop};
    flood f = {.head = "OK\x04Traceback (most recent call last):\r\n",
               .unit = "  File \"<stdin>\", line 1, in <module>\r\n",
               .stop_after = 50,
               .stop = &stop};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    int64_t t0 = now_ms_();
    CHECK_EQ(mph_repl_exec(r, "f()", 3, NULL, &err), MPH_ERR_STOPPED);
    CHECK(now_ms_() - t0 < 1500); // the stop, then 300 ms for the board to end the run
    CHECK_EQ(err.code, MPH_ERR_STOPPED);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_endless_traceback_is_held_to_its_end_and_the_deadline) {
    mph_repl_options o = {1000, 1000, 0, false, 300, NULL};
    flood f = {.head = "OK\x04Traceback (most recent call last):\r\n",
               .unit = "  File \"<stdin>\", line 1, in <module>\r\n"};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    int64_t t0 = now_ms_();
    CHECK_EQ(mph_repl_snapshot(r, false, NULL, &err), MPH_ERR_TIMEOUT);
    CHECK(now_ms_() - t0 < 3000); // 300 ms, then 1 s to end the run
    CHECK(strstr(err.message, "in all") != NULL);
    CHECK(f.sent > 64u << 10);                       // it did flood, past the cap
    CHECK(strlen(mph_repl_traceback(r)) <= 64u << 10); // and was not held
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_trickle_meets_the_snapshot_deadline) {
    mph_repl_options o = {1000, 1000, 0, false, 200, NULL};
    flood f = {.head = HEAD65K, .unit = ROW, .per_read = 1, .sleep_ms = 2};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &o);
    mph_error err = {0};
    int64_t t0 = now_ms_();
    CHECK_EQ(mph_repl_snapshot(r, false, NULL, &err), MPH_ERR_TIMEOUT);
    CHECK(now_ms_() - t0 < 3000);
    mph_repl_free(r);
    mph_transport_free(t);
}

TEST(repl_follow_meets_a_callers_deadline) {
    flood f = {.head = "OK", .unit = "spam spam spam "};
    mph_transport *t = flood_open(&f);
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_exec_start(r, "f()", 3, &err), MPH_OK);
    mph_repl_set_deadline(r, 100);
    uint64_t kept = 0;
    mph_sink sink = {count_bytes, &kept};
    int64_t t0 = now_ms_();
    CHECK_EQ(mph_repl_follow(r, &sink, 1000, &err), MPH_ERR_TIMEOUT);
    CHECK(now_ms_() - t0 < 1000);
    CHECK(kept > 0);
    mph_repl_set_deadline(r, 0);
    mph_repl_free(r);
    mph_transport_free(t);
}

static mph_status refuse(void *ctx, const char *buf, size_t len) {
    (void)ctx;
    (void)buf;
    (void)len;
    return MPH_ERR_IO;
}

TEST(repl_follow_resumes_after_a_sink_refused) {
    // The sink refuses the output that ends at the \x04: follow goes on with the traceback.
    static const step steps[] = {
        ENTER, S("\x05" "A\x01", "R\x00"),
        S("f()\x04", "OKout\x04Traceback (most recent call last):\r\nValueError: v\r\n\x04>")};
    script s;
    mph_transport *t = script_open(&s, steps, 4);
    s.chunk = 0;
    mph_repl *r = mph_repl_new(t, &quick);
    mph_error err = {0};
    CHECK_EQ(mph_repl_enter(r, false, &err), MPH_OK);
    CHECK_EQ(mph_repl_exec_start(r, "f()", 3, &err), MPH_OK);
    mph_sink no = {refuse, NULL};
    CHECK_EQ(mph_repl_follow(r, &no, 0, &err), MPH_ERR_IO);
    CHECK_EQ(mph_repl_follow(r, NULL, 0, &err), MPH_ERR_RAISED);
    CHECK(strstr(mph_repl_traceback(r), "ValueError: v") != NULL);
    mph_repl_free(r);
    mph_transport_free(t);
}
