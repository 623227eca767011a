/* What the command line needs from the system, one file per system chosen by
 * the Makefile: sys_posix.c (Linux, and the POSIX calls a macOS build would
 * share) and sys_win32.c (Windows). The commands call these, never #ifdef. */
#ifndef MPHEAP_SRC_CLI_SYS_H
#define MPHEAP_SRC_CLI_SYS_H

#include <stdbool.h>
#include <stdio.h>

/* Before anything is read or written: Windows puts stdin and stdout in binary
 * mode (no CRLF translation, bytes as on Linux) and the console in UTF-8. */
void cli_sys_init(void);

/* The size of the terminal on stdout; false when stdout is not one. */
bool cli_sys_terminal_size(unsigned *cols, unsigned *rows);

/* Whether stream, a terminal, shows ANSI colours (Windows: virtual-terminal
 * processing could be turned on for its console). */
bool cli_sys_color_ok(FILE *stream);

/* Whether `less` is on PATH (the default pager). */
bool cli_sys_have_less(void);

/* Start the pager command with a pipe to its stdin; NULL (and no pager) when it
 * cannot run. *id is what cli_sys_pager_wait waits for. */
FILE *cli_sys_pager_open(const char *command, long *id);

/* Close the pipe and wait for the pager; fclose's result. */
int cli_sys_pager_close(FILE *pipe, long id);

/* Call handler(signal) on Ctrl-C and on a request to terminate, interrupting
 * waits (no restart); a closed stdout becomes a write error, not a death. */
void cli_sys_on_stop(void (*handler)(int));

/* open() of a file of ours: not inherited by child processes, binary. */
int cli_sys_open(const char *path, int flags, int mode);

/* Where the directory part of path ends: after its last separator ('/', and
 * on Windows '\\' and a drive's ':'); 0 when there is none. */
size_t cli_sys_dir_len(const char *path);

/* A finished file's last steps: permissions as a new file's (umask), data on
 * disk; 0 or -1 with errno. */
int cli_sys_finish_file(int fd);

/* Rename from over to (replacing it, also on Windows); 0 or -1 with errno. */
int cli_sys_replace(const char *from, const char *to);

/* "+ncurses" when the full-screen views (watch, explore) are in, else "-ncurses". */
const char *cli_sys_ncurses_word(void);

/* fsync; 0 or -1 with errno (pipes and terminals fail: callers allow that). */
int cli_sys_sync(int fd);

/* open_memstream, or NULL where there is none (Windows): then the caller does
 * without (cmd_diff reads its two files one after the other). */
FILE *cli_sys_memstream(char **buf, size_t *len);

/* What `devs` adds when it finds no port: the virtual board where it runs. */
const char *cli_sys_no_ports_hint(void);

/* The running program's path into exe (NUL-terminated); its length, or -1. */
long cli_sys_exe_path(char *exe, size_t cap);

#endif
