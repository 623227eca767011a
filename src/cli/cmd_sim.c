/* mpheap sim: the virtual board on a pseudo-terminal, for any serial tool
 * (mpheap --port PATH, mpremote connect PATH, a terminal program). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: mpheap sim [--heap SIZE] [--link PATH] [-- BOARD-OPTION...]\n"
    "Run the virtual board (MicroPython's WebAssembly port, board/virtual-board.mjs) on a\n"
    "pseudo-terminal and print the terminal's path; it serves one client at a time until\n"
    "Ctrl-C. Its heap lives as long as it does, across connections.\n"
    "\n"
    "      --heap SIZE    initial heap (default 1M; it grows by extra areas on demand)\n"
    "      --link PATH    also make PATH a symbolic link to the terminal\n"
    "  -h, --help         this text\n"
    "Options after -- go to the board as they are (e.g. -- --fixed-heap for a heap that\n"
    "cannot grow, -- --fault slow=50).\n";

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

int cmd_sim(int argc, char **argv) {
    static const struct option longopts[] = {{"heap", required_argument, NULL, 'H'},
                                             {"link", required_argument, NULL, 'L'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *heap = "1M", *link_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': heap = optarg; break;
        case 'L': link_path = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: fputs(usage, stderr); return EXIT_USAGE;
        }
    }
    char script[PATH_MAX];
    if (!cli_board_script(script, sizeof script)) {
        fprintf(stderr, "mpheap: sim: error: board/virtual-board.mjs not found (set MPHEAP_BOARD)\n");
        return EXIT_DEVICE;
    }
    const char *node = getenv("MPHEAP_NODE");
    const char *args[64];
    int n = 0;
    args[n++] = node && *node ? node : "node";
    args[n++] = script;
    args[n++] = "--heap";
    args[n++] = heap;
    for (int i = optind; i < argc && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    char path[128];
    int pid = 0, slave = -1;
    mph_error err = {0};
    mph_status st = mph_exec_spawn_pty(args, path, sizeof path, &pid, &slave, &err);
    if (st) {
        cli_print_error("sim", &err);
        return cli_exit_code(st);
    }
    if (link_path) {
        unlink(link_path);
        if (symlink(path, link_path) != 0) {
            fprintf(stderr, "mpheap: %s: error: %s\n", link_path, strerror(errno));
            link_path = NULL;
        }
    }
    printf("%s\n", path);
    fflush(stdout);
    int status = 0, rc = EXIT_OK;
    for (;;) {
        pid_t w = waitpid(pid, &status, 0);
        if (w == pid) {
            // The board ended by itself (a fault it was told to play, or an error).
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                fprintf(stderr, "mpheap: sim: the virtual board ended (status %d)\n",
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                rc = EXIT_DEVICE;
            }
            break;
        }
        if (w < 0 && errno != EINTR)
            break;
        if (stop_requested) {
            kill(-pid, SIGTERM);
            kill(pid, SIGTERM);
            waitpid(pid, &status, 0);
            break;
        }
    }
    close(slave);
    if (link_path)
        unlink(link_path);
    return rc;
}
