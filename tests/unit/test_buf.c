/* test_buf.c — host byte buffers. */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"

Test(buf, appends_and_terminates)
{
    holt_buf b;
    buf_init(&b);
    buf_puts(&b, "ab");
    buf_printf(&b, "%d-%s", 42, "x");
    buf_putc(&b, '!');
    cr_assert_str_eq(b.data, "ab42-x!");
    cr_assert_eq(b.len, 7);
    buf_free(&b);
}

Test(buf, little_endian_integers)
{
    holt_buf b;
    buf_init(&b);
    buf_u16(&b, 0x0102);
    buf_u32(&b, 0x03040506);
    buf_u64(&b, 0x0708090a0b0c0d0eull);
    const unsigned char want[] = {2, 1, 6, 5, 4, 3, 0xe, 0xd, 0xc, 0xb, 0xa, 9, 8, 7};
    cr_assert_eq(b.len, sizeof want);
    cr_assert(memcmp(b.data, want, sizeof want) == 0);
    size_t n;
    char *p = buf_take(&b, &n);
    cr_assert_eq(n, sizeof want);
    cr_assert_eq(b.len, 0);
    free(p);
}

Test(buf, grows_past_many_appends)
{
    holt_buf b;
    buf_init(&b);
    for (int i = 0; i < 10000; i++)
        buf_putc(&b, (char)('a' + i % 26));
    cr_assert_eq(b.len, 10000);
    cr_assert_eq(b.data[9999], 'a' + 9999 % 26);
    buf_reset(&b);
    cr_assert_eq(b.len, 0);
    cr_assert_str_eq(b.data, "");
    buf_free(&b);
}
