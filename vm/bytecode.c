/* bytecode.c — the opcode table generated from opcodes.def, and the small helpers every
 * consumer of an in-memory bc_module shares (freeing, constant lookup, line lookup).
 */
#include <stdlib.h>

#include "bytecode.h"

/* The encoded size of one operand letter (opcodes.def): b u8, h and k u16, i and j i32. An
 * unknown letter counts 0 and is caught by the check below. */
#define OPERAND_SIZE(c) ((c) == 'b' ? 1 : (c) == 'h' || (c) == 'k' ? 2 : (c) == 'i' || (c) == 'j' ? 4 : 0)
/* The operand string padded so that indexing its first four letters is always in bounds. */
#define PADDED(s) (s "\0\0\0\0")
#define OP_SIZE(s)                                                                             \
    (1 + OPERAND_SIZE(PADDED(s)[0]) + OPERAND_SIZE(PADDED(s)[1]) + OPERAND_SIZE(PADDED(s)[2]) + \
     OPERAND_SIZE(PADDED(s)[3]))

/* Every operand string has at most four letters: the size above reads no more. (That each
 * letter is a known one is checked by the unit tests, since string contents are not integer
 * constant expressions.) */
#define OP(name, operands, pops, pushes, doc) _Static_assert(sizeof(operands) <= 5, "too many operands: " #name);
#include "opcodes.def"
#undef OP

const bc_opinfo bc_ops[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = {#name, operands, pops, pushes, doc, OP_SIZE(operands)},
#include "opcodes.def"
#undef OP
};

void bc_module_free(bc_module *m)
{
    if (!m)
        return;
    if (m->consts)
        for (uint32_t k = 0; k < m->nconsts; k++)
            if (m->consts[k].tag == BC_K_STR)
                free(m->consts[k].u.s.bytes);
    free(m->consts);
    free(m->globals);
    if (m->funcs) {
        for (uint32_t i = 0; i < m->nfuncs; i++) {
            free(m->funcs[i].local_types);
            free(m->funcs[i].code);
            free(m->funcs[i].lines);
            free(m->funcs[i].handlers);
        }
    }
    free(m->funcs);
    if (m->classes) {
        for (uint32_t i = 0; i < m->nclasses; i++) {
            free(m->classes[i].ifaces);
            free(m->classes[i].fields);
            free(m->classes[i].methods);
        }
    }
    free(m->classes);
    free(m->name);
    free(m->path);
    free(m);
}

void bc_bundle_free(bc_bundle *b)
{
    if (!b)
        return;
    /* Entries may already have been taken (set to NULL) by the loader. */
    if (b->modules)
        for (uint32_t i = 0; i < b->nmodules; i++)
            bc_module_free(b->modules[i]);
    free(b->modules);
    free(b);
}

const char *bc_str(const bc_module *m, uint32_t k)
{
    if (!m || !m->consts || k == 0 || k >= m->nconsts || m->consts[k].tag != BC_K_STR)
        return NULL;
    return m->consts[k].u.s.bytes;
}

const char *bc_type(const bc_module *m, uint32_t k)
{
    if (!m || !m->consts || k == 0 || k >= m->nconsts || m->consts[k].tag != BC_K_TYPE)
        return NULL;
    return bc_str(m, m->consts[k].u.desc);
}

uint32_t bc_line_of(const bc_function *f, uint32_t pc)
{
    if (!f || !f->lines || f->nlines == 0)
        return 0;
    /* The last entry whose pc is at or before `pc`: a binary search over the sorted table. */
    uint32_t lo = 0, hi = f->nlines;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid].pc <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return f->lines[lo].line;
}
