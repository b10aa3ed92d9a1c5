/* vm.h — the execution layer inside libholt: loading (.hbc files), verifying, linking and
 * interpreting modules. The public face is include/holt.h; this header is shared by the
 * files of vm/ and by tests.
 *
 * Life of a module: bc_read (bytes -> bc_module) -> verify_module -> link_module (resolve
 * constants to run-time objects, native functions and other modules) -> interp_call of its
 * <main> on first import (top level runs once).
 */
#ifndef HOLT_VM_H
#define HOLT_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "bytecode.h"
#include "rt.h"
#include "state.h"

/* ---- .hbc files (bcfile.c) --------------------------------------------------------------- */

/* Serialise a bundle; the bytes are byte-identical for identical bundles. */
void bc_write(const bc_bundle *b, holt_buf *out);
/* Parse a .hbc image. On failure returns NULL and writes one line saying what is wrong and at
 * which byte offset into err. Never reads outside data[0..len). Structural checks only; the
 * verifier does the rest. */
bc_bundle *bc_read(const uint8_t *data, size_t len, holt_buf *err);

/* ---- verifier (verify.c) ----------------------------------------------------------------- */

/* How the verifier learns what other modules and natives provide: a FUNC, GLOBAL or NATIVE
 * constant carries its type, and the linker later checks that the target really has that
 * type. So a module verifies on its own. Returns 0, or -1 with a message naming the module,
 * function, instruction offset and reason in err:
 *   "verify: module app, function add, at 12 (IADD): expected int, found str" */
int verify_module(const bc_module *m, holt_buf *err);

/* Shared with bc_read (internal to vm/). Is d[0..len) exactly one well-formed value-type
 * descriptor (docs/bytecode.md: no V, no type variables, nesting at most 255 deep)? */
bool verify__desc(const char *d, size_t len);
/* NULL when constant k of m is in range and every constant it refers to is of the right tag
 * (a TYPE's desc a STR holding a well-formed descriptor, FUNC and NATIVE types function
 * types, names STRs without NUL); else a short phrase saying what is wrong. */
const char *verify__const(const bc_module *m, uint32_t k);

/* Stack maps, for the collector: which operand slots hold references at each instruction.
 * Computed from the verifier's own abstract interpretation of a verified function, so the
 * collector's roots are exactly the verifier's types (no guessing). */
typedef struct vm_stackmap {
    uint32_t code_len;
    uint32_t *at;                 /* per code byte: index into `words` of the state at the
                                     instruction starting there; UINT32_MAX when no reachable
                                     instruction starts there */
    uint32_t *words;              /* at[pc]: the operand depth d before the instruction, then
                                     (d + 31) / 32 words of bits, bit i set when operand slot i
                                     (0 = bottom) holds a reference (cells and closures too) */
    uint32_t nwords;
} vm_stackmap;

/* Fill *out for function fi of module m, which has passed verify_module. 0, or -1 (only for a
 * module that would not verify). vm_stackmap_free releases what it allocated. */
int verify_stack_map(const bc_module *m, uint16_t fi, vm_stackmap *out);
void vm_stackmap_free(vm_stackmap *sm);

/* ---- disassembler (dis.c) ---------------------------------------------------------------- */

/* Write a readable listing: constants, globals, then each function with its signature, locals
 * and instructions as "  offset  line  OPNAME operands  ; constant value". */
void dis_module(const bc_module *m, holt_buf *out);

/* ---- linked modules (link.c) ------------------------------------------------------------- */

typedef struct vm_module vm_module;

typedef struct vm_function {
    const bc_function *bc;        /* its bytecode */
    vm_module *mod;               /* the module it belongs to */
    const char *name;
    uint16_t nparams, nlocals, max_stack;
    bool returns;                 /* has a result (type not ending in V) */
    rt_typeid *local_types;       /* run-time types of the locals */
    uint16_t ncaps;               /* captured cells, the first locals (bc_function.ncaps) */
    uint32_t id;                  /* index in vm->fntab: what a closure object stores */
    vm_stackmap *smap;            /* built by the collector the first time it needs it */
} vm_function;

typedef struct {
    const rt_native *native;      /* NATIVE constants: the bound native */
    rt_typeid ret;                /* its instantiated result type */
    uint16_t nargs;               /* its parameter count */
    bool returns;
} vm_native_site;

struct vm_module {
    bc_module *bc;                /* owned */
    const char *name;
    uint64_t *globals;            /* nglobals slots, zero / null at start */
    rt_typeid *global_types;
    vm_function *funcs;           /* bc->nfuncs */
    uint64_t *k;                  /* per constant: INT value, FLOAT bits, STR guest ref,
                                     TYPE run-time type id */
    void **kp;                    /* per constant: FUNC -> vm_function*, GLOBAL -> uint64_t*
                                     (the slot), NATIVE -> vm_native_site*, MODULE -> vm_module* */
    bool ran;                     /* its <main> has started (imports run once) */
};

/* The module called `name` among those linked, or NULL. */
vm_module *vm_find_module(holt_vm *vm, const char *name);

/* Link a verified module: intern its types and strings, bind its natives, and bind FUNC,
 * GLOBAL and MODULE constants to modules already linked (so link dependencies first; a module
 * referring to itself through MODULE is fine). Takes ownership of m on success. Returns the
 * linked module, or NULL with a reason in err ("link: module app: no function util.f of type
 * (I)I"). */
vm_module *link_module(holt_vm *vm, bc_module *m, holt_buf *err);
/* Free a linked module and everything it owns (its bc_module included). */
void vm_module_free(vm_module *m);

/* ---- the collector's roots (gcroots.c) ---------------------------------------------------- */

/* Collect garbage now: mark from every root (every frame's locals by their declared types and
 * operands by the stack maps at each frame's saved pc, every module's globals and constants,
 * and the runtime's own roots), then sweep. Called only at a safepoint: the interpreter's
 * GC_POLL at the start of an instruction that may allocate, with the top frame's pc saved. */
void vm_collect(holt_vm *vm);

/* ---- interpreter (interp.c) -------------------------------------------------------------- */

typedef struct vm_frame {
    vm_function *fn;
    const uint8_t *pc;            /* saved at every call and every instruction that may throw */
    uint64_t *base;               /* locals; operands follow at base + nlocals */
} vm_frame;

/* Run the <main> of module `mod` and, first, of every module it uses that has not run yet
 * (in the order of its MODULE constants). Returns RT_OK, RT_THROWN (vm->exc holds the error
 * and vm->trace its stack trace) or RT_EXITED (vm->m.exit_status). */
int interp_run_module(holt_vm *vm, vm_module *mod);

/* Call a function with arguments; the result, if any, in *result. Reentrant (natives that
 * take functions call back through it). Returns RT_OK, RT_THROWN or RT_EXITED as above. */
int interp_call(holt_vm *vm, vm_function *fn, const uint64_t *args, uint64_t *result);

#endif
