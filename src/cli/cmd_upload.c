/* mpheap upload: copy the device module (device/mpheap.py, built in) to a
 * board's filesystem through the raw REPL, so no other tool is needed. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: mpheap upload [-p PORT] [--dest PATH] [--print]\n"
    "Copy the device module mpheap.py to the board; an application then imports it to\n"
    "print labelled snapshots (mpheap.snapshot(\"label\")) that `mpheap capture --listen`\n"
    "keeps. Enters the raw REPL (a running program is stopped), no soft reset.\n"
    "\n"
    "  -p, --port P       auto (default), PATH or port:PATH, a0..a3, u0..u3, id:SERIAL,\n"
    "                     sim[:HEAP[,fixed]], exec:CMD, pipe:CMD (see mpheap capture --help)\n"
    "      --dest PATH    where on the board (default mpheap.py; /lib/mpheap.py also works)\n"
    "      --print        print the module instead (e.g. for mpremote cp)\n"
    "  -h, --help         this text\n";

enum { OPT_PORT = 256, OPT_DEST, OPT_PRINT };

/* Python bytes literal text for s: b'...' with escapes. */
static int add_bytes_literal(cli_buffer *b, const char *s, size_t n) {
    if (cli_buffer_write(b, "b'", 2))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t k;
        if (c == '\\' || c == '\'')
            k = (size_t)snprintf(esc, sizeof esc, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            k = (size_t)snprintf(esc, sizeof esc, "%c", c);
        else
            k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
        if (cli_buffer_write(b, esc, k))
            return -1;
    }
    return cli_buffer_write(b, "'", 1) ? -1 : 0;
}

int cmd_upload(int argc, char **argv) {
    static const struct option longopts[] = {{"port", required_argument, NULL, OPT_PORT},
                                             {"dest", required_argument, NULL, OPT_DEST},
                                             {"print", no_argument, NULL, OPT_PRINT},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *port = "auto", *dest = "mpheap.py";
    bool print_only = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': // -p PORT, as in esptool and mpremote
        case OPT_PORT:
            if (!cli_port_word_ok(optarg))
                return EXIT_USAGE;
            port = optarg;
            break;
        case OPT_DEST: dest = optarg; break;
        case OPT_PRINT: print_only = true; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc || strchr(dest, '\'') || strchr(dest, '\\') || !*dest) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    size_t len = strlen(cli_device_module);
    if (print_only) {
        fwrite(cli_device_module, 1, len, stdout);
        return cli_flush_stdout() == 0 ? EXIT_OK : EXIT_IO;
    }
    mph_transport *t = NULL;
    int rc = cli_open_board(port, &t);
    if (rc)
        return rc;
    const char *name = mph_transport_name(t);
    mph_repl_options ro;
    cli_repl_options(port, 0, &ro);
    mph_repl *r = mph_repl_new(t, &ro);
    cli_buffer code = {0}, out = {0};
    mph_sink sink = {cli_buffer_write, &out};
    mph_error err = {0};
    mph_status st = r ? mph_repl_enter(r, false, &err) : MPH_ERR_NOMEM;
    // Open, write in pieces of 1 KB (a small board compiles each piece), close, check the size.
    char line[512];
    snprintf(line, sizeof line, "_mph_f=open('%s','wb')", dest);
    if (!st)
        st = mph_repl_exec(r, line, strlen(line), NULL, &err);
    for (size_t i = 0; !st && i < len; i += 1024) {
        code.len = 0;
        if (cli_buffer_write(&code, "_mph_f.write(", 13) ||
            add_bytes_literal(&code, cli_device_module + i, len - i < 1024 ? len - i : 1024) ||
            cli_buffer_write(&code, ")", 1))
            st = MPH_ERR_NOMEM;
        else
            st = mph_repl_exec(r, code.data, code.len, NULL, &err);
    }
    snprintf(line, sizeof line, "_mph_f.close();del _mph_f;import os;print(os.stat('%s')[6])",
             dest);
    if (!st)
        st = mph_repl_exec(r, line, strlen(line), &sink, &err);
    if (!st && (!out.data || strtoull(out.data, NULL, 10) != len)) {
        snprintf(err.message, sizeof err.message, "%s on the board has %s bytes, not %zu", dest,
                 out.data ? out.data : "no", len);
        st = MPH_ERR_DEVICE;
    }
    rc = cli_repl_end(r, name, st, &err);
    if (!rc) {
        if (mph_repl_stopped_program(r))
            fprintf(stderr, "mpheap: %s: a running program was stopped with Ctrl-C\n", name);
        fprintf(stderr, "mpheap: %s: wrote %s (%zu bytes); in your program: import mpheap; "
                        "mpheap.snapshot(\"label\")\n",
                name, dest, len);
    }
    free(code.data);
    free(out.data);
    mph_repl_free(r);
    mph_transport_free(t);
    return rc;
}
