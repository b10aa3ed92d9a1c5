/* diag.c — formatting of compile errors (language.md 13).
 *
 * One error (or note) is three lines in d->out:
 *   PATH:LINE:COL: error: MESSAGE        (`note:` for a note)
 *   the source line, exactly as in the file (without its line break)
 *   a caret under the column: a tab where the source has a tab, else a space, then '^'
 * Columns count bytes from 1. A position past the end of its line, or a line past the end of
 * the text, points just after the last byte, so a caret is always drawn.
 */
#include "diag.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static void report(diag_ctx *d, const char *kind, int line, int col, const char *fmt, va_list ap)
{
    if (!d->out)
        return;
    if (line < 1)
        line = 1;
    if (col < 1)
        col = 1;
    buf_printf(d->out, "%s:%d:%d: %s: ", d->path ? d->path : "<input>", line, col, kind);
    buf_vprintf(d->out, fmt, ap);
    buf_putc(d->out, '\n');

    const char *src = d->src ? d->src : "";
    size_t len = d->src ? d->len : 0;

    /* Find the start of the line; a line past the end falls back to the last line, with the
     * column just after its last byte. */
    size_t start = 0, last_start = 0;
    int ln = 1;
    bool past_end = false;
    while (ln < line) {
        const char *nl = memchr(src + start, '\n', len - start);
        if (!nl) {
            past_end = true;
            break;
        }
        last_start = start;
        start = (size_t)(nl - src) + 1;
        ln++;
    }
    if (start == len && len > 0 && ln > 1) {
        /* The line is only the empty remainder after the final newline: use the line before. */
        past_end = true;
        start = last_start;
    }
    size_t end = start;
    while (end < len && src[end] != '\n')
        end++;
    size_t text_end = end;
    if (text_end > start && src[text_end - 1] == '\r')
        text_end--;                     /* a CRLF line break is not part of the line */
    size_t linelen = text_end - start;
    size_t ncol = past_end ? linelen + 1 : (size_t)col;
    if (ncol > linelen + 1)
        ncol = linelen + 1;

    buf_put(d->out, src + start, linelen);
    buf_putc(d->out, '\n');
    for (size_t i = 0; i + 1 < ncol; i++)
        buf_putc(d->out, src[start + i] == '\t' ? '\t' : ' ');
    buf_puts(d->out, "^\n");
}

void diag_verror(diag_ctx *d, int line, int col, const char *fmt, va_list ap)
{
    d->nerrors++;
    report(d, "error", line, col, fmt, ap);
}

void diag_note(diag_ctx *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(d, "note", line, col, fmt, ap);
    va_end(ap);
}

void diag_error(diag_ctx *d, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(d, line, col, fmt, ap);
    va_end(ap);
}
