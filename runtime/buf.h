/* buf.h — a growable byte buffer on the host heap, used by the compiler, the bytecode writer,
 * diagnostics and message formatting. Never part of guest memory. */
#ifndef HOLT_BUF_H
#define HOLT_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct holt_buf {
    char *data;                   /* NUL-terminated after every append */
    size_t len;
    size_t cap;
} holt_buf;

void buf_init(holt_buf *b);
void buf_free(holt_buf *b);
void buf_reset(holt_buf *b);      /* len = 0, keep the memory */
void buf_put(holt_buf *b, const void *p, size_t n);
void buf_putc(holt_buf *b, char c);
void buf_puts(holt_buf *b, const char *s);
void buf_printf(holt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(holt_buf *b, const char *fmt, va_list ap);
void buf_u8(holt_buf *b, uint8_t v);
void buf_u16(holt_buf *b, uint16_t v);   /* little-endian */
void buf_u32(holt_buf *b, uint32_t v);
void buf_u64(holt_buf *b, uint64_t v);
/* Take ownership of the bytes (the buffer is left empty). */
char *buf_take(holt_buf *b, size_t *len);

/* The whole file at `path`, NUL-terminated, its length in *len; NULL with errno set when it
 * cannot be read (a folder gives EISDIR). The caller frees it. */
char *buf_read_file(const char *path, size_t *len);

/* Host allocation that aborts with a message when the host itself is out of memory. Guest
 * allocations never come here. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
