/* fuzz_hbc.c — libFuzzer target for the .hbc loader: arbitrary bytes go through bc_read, and
 * whatever it accepts through verify_module and dis_module, and every function of a module that
 * verifies through verify_stack_map (which must then succeed). Nothing may crash, hang, leak or
 * touch memory outside its input; an accepted image must also write back byte for byte
 * (bc_write of what bc_read returned is the input itself).
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Iinclude -Ihostos -Iruntime -Ivm -Icompiler tests/fuzz/fuzz_hbc.c \
 *         vm/bcfile.c vm/verify.c vm/verify_obj.c vm/dis.c vm/bytecode.c runtime/buf.c -o fuzz_hbc
 *   ./fuzz_hbc -max_total_time=60 corpus/
 *
 * Most random inputs die at the CRC check, so when the input starts with the magic the
 * target also tries it with the header's length and CRC repaired, to reach the structure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static void one(const uint8_t *data, size_t len)
{
    holt_buf err, out;
    buf_init(&err);
    buf_init(&out);
    bc_bundle *b = bc_read(data, len, &err);
    if (b) {
        for (uint32_t i = 0; i < b->nmodules; i++) {
            buf_reset(&err);
            bc_module *m = b->modules[i];
            if (verify_module(m, &err) == 0) {
                for (uint16_t f = 0; f < m->nfuncs; f++) {
                    vm_stackmap sm;
                    if (verify_stack_map(m, f, &sm) != 0)
                        abort(); /* a verified function always has a map */
                    vm_stackmap_free(&sm);
                }
            }
            dis_module(m, &out);
        }
        buf_reset(&out);
        bc_write(b, &out);
        if (out.len != len || memcmp(out.data, data, len) != 0)
            abort(); /* an accepted image is canonical */
        bc_bundle_free(b);
    } else if (!err.len || memchr(err.data, '\n', err.len)) {
        abort(); /* every rejection says why, in one line */
    }
    buf_free(&err);
    buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    one(data, len);
    if (len >= 24 && memcmp(data, "HOLT\r\n\x1a\n", 8) == 0) {
        uint8_t *copy = malloc(len);
        memcpy(copy, data, len);
        uint32_t n = (uint32_t)len, crc = crc32_ref(copy + 20, len - 20);
        for (int i = 0; i < 4; i++) {
            copy[12 + i] = (uint8_t)(n >> (8 * i));
            copy[16 + i] = (uint8_t)(crc >> (8 * i));
        }
        one(copy, len);
        free(copy);
    }
    return 0;
}
