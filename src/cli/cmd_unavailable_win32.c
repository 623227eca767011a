/* Windows: the commands that need what this build leaves out. watch and
 * explore are full-screen ncurses views (no ncurses for MinGW here); sim runs
 * the virtual board on a POSIX pseudo-terminal. Each says so and exits 2. */
#include "cli.h"

static int not_here(const char *name, const char *why) {
    fprintf(stderr, "mpheap: %s is not in the Windows build (%s); %s\n", name, why,
            "run it on Linux or in WSL");
    return EXIT_USAGE;
}

int cmd_watch(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return not_here("watch", "it is a full-screen ncurses view: `mpheap capture` takes the "
                             "snapshots, `mpheap report` shows them as an HTML page");
}

int cmd_explore(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return not_here("explore", "it is a full-screen ncurses view: `mpheap show` prints a map, "
                               "`mpheap report -o heap.html` makes a page to explore");
}

int cmd_sim(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return not_here("sim", "the virtual board runs on a POSIX pseudo-terminal");
}
