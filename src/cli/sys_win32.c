/* The command line's system calls on Windows (sys.h), with MinGW-w64's C
 * runtime: binary stdio, a UTF-8 console with virtual-terminal colours where
 * the console has them (Windows 10+, Windows Terminal; none on the old
 * console), _popen for a pager named by $MPHEAP_PAGER or $PAGER. */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <windows.h>

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

static bool vt_out, vt_err; /* colours on the console of stdout, stderr */

/* Turn on virtual-terminal processing for the console behind handle; false
 * when it is no console or an old one. */
static bool enable_vt(DWORD which) {
    HANDLE h = GetStdHandle(which);
    DWORD mode;
    if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
        return false;
    return (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) ||
           SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
}

void cli_sys_init(void) {
    // Bytes as on Linux: a dump on stdin may have CRLF (the parser takes
    // both), and what we write has LF, whatever the C runtime would make of it.
    _setmode(_fileno(stdin), _O_BINARY);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
    // Labels and block characters are UTF-8.
    SetConsoleOutputCP(CP_UTF8);
    vt_out = enable_vt(STD_OUTPUT_HANDLE);
    vt_err = enable_vt(STD_ERROR_HANDLE);
}

bool cli_sys_terminal_size(unsigned *cols, unsigned *rows) {
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!_isatty(_fileno(stdout)) ||
        !GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info))
        return false;
    *cols = (unsigned)(info.srWindow.Right - info.srWindow.Left + 1);
    *rows = (unsigned)(info.srWindow.Bottom - info.srWindow.Top + 1);
    return true;
}

bool cli_sys_color_ok(FILE *stream) { return stream == stderr ? vt_err : vt_out; }

bool cli_sys_have_less(void) { return false; }

FILE *cli_sys_pager_open(const char *command, long *id) {
    FILE *f = _popen(command, "wb");
    *id = 0;
    return f;
}

int cli_sys_pager_close(FILE *pipe_to, long id) {
    (void)id;
    return _pclose(pipe_to) == -1 ? -1 : 0;
}

static void (*stop_handler)(int);

/* Ctrl-C and Ctrl-Break come on another thread: pass them on as SIGINT. */
static BOOL WINAPI on_console_event(DWORD event) {
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT && event != CTRL_CLOSE_EVENT)
        return FALSE;
    if (stop_handler)
        stop_handler(event == CTRL_CLOSE_EVENT ? SIGTERM : SIGINT);
    return TRUE;
}

void cli_sys_on_stop(void (*handler)(int)) {
    stop_handler = handler;
    SetConsoleCtrlHandler(on_console_event, TRUE);
}

int cli_sys_open(const char *path, int flags, int mode) {
    return _open(path, flags | _O_BINARY | _O_NOINHERIT, mode);
}

size_t cli_sys_dir_len(const char *path) {
    size_t dir = 0;
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '/' || path[i] == '\\' || (i == 1 && path[i] == ':'))
            dir = i + 1;
    return dir;
}

int cli_sys_finish_file(int fd) { return _commit(fd); }

int cli_sys_replace(const char *from, const char *to) {
    if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
        return 0;
    errno = GetLastError() == ERROR_ACCESS_DENIED ? EACCES : EIO;
    return -1;
}

const char *cli_sys_ncurses_word(void) { return "-ncurses"; }

int cli_sys_sync(int fd) { return _commit(fd); }

FILE *cli_sys_memstream(char **buf, size_t *len) {
    (void)buf;
    (void)len;
    return NULL;
}

long cli_sys_exe_path(char *exe, size_t cap) {
    DWORD n = GetModuleFileNameA(NULL, exe, (DWORD)cap);
    if (n == 0 || n >= cap)
        return -1;
    for (char *p = exe; *p; p++) // the callers look for '/'
        if (*p == '\\')
            *p = '/';
    return (long)n;
}

const char *cli_sys_no_ports_hint(void) { return "a board shows up here once plugged in; --port COMn opens one by its name"; }
