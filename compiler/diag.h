/* diag.h — compile-time diagnostics, shared by lexer, parser and checker.
 *
 * language.md 13: each error prints `file:line:col: error: message`, then the source line and
 * a caret under the column; every independent error in a file is reported. Diagnostics are
 * collected in order of report and printed by the driver; nothing here writes to a stream.
 */
#ifndef HOLT_DIAG_H
#define HOLT_DIAG_H

#include <stdarg.h>
#include <stddef.h>

struct holt_buf;

typedef struct {
    const char *path;             /* file name as given: "lib/util.holt" */
    const char *src;              /* the whole source, NUL-terminated */
    size_t len;
    int nerrors;
    struct holt_buf *out;         /* formatted diagnostics accumulate here */
} diag_ctx;

/* Report an error at line:col (1-based). Formats the header line, the source line and the
 * caret into d->out and counts it. Column counts bytes. */
void diag_error(diag_ctx *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_verror(diag_ctx *d, int line, int col, const char *fmt, va_list ap);
/* A note that explains the error just reported (`PATH:LINE:COL: note: MESSAGE`, the source
 * line and the caret, as for an error) into d->out; not counted as an error. d may describe
 * another file than the error's, with `out` pointing at the error's buffer. */
void diag_note(diag_ctx *d, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
