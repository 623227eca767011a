/* Status names and the located-error helper. */
#include "internal.h"

#include <stdio.h>

const char *mph_status_name(mph_status status) {
    switch (status) {
    case MPH_OK: return "ok";
    case MPH_ERR_NOMEM: return "out of memory";
    case MPH_ERR_SYNTAX: return "syntax";
    case MPH_ERR_INVARIANT: return "invariant";
    case MPH_ERR_NOT_FOUND: return "not found";
    case MPH_ERR_ARG: return "bad argument";
    case MPH_ERR_IO: return "i/o";
    case MPH_ERR_LIMIT: return "limit";
    case MPH_ERR_DEVICE: return "device";
    case MPH_ERR_TIMEOUT: return "timeout";
    case MPH_ERR_GONE: return "device gone";
    case MPH_ERR_BUSY: return "busy";
    case MPH_ERR_RAISED: return "raised";
    case MPH_ERR_STOPPED: return "stopped";
    }
    return "unknown";
}

void mph__error_vset(mph_error *err, mph_status code, unsigned long line, unsigned long column,
                     const char *fmt, va_list ap) {
    if (!err)
        return;
    err->code = code;
    err->line = line;
    err->column = column;
    err->offset = 0;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
}

void mph__error_set(mph_error *err, mph_status code, unsigned long line, unsigned long column,
                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mph__error_vset(err, code, line, column, fmt, ap);
    va_end(ap);
}
