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

/* What the verifier may ask about classes that other modules define. The loader links a
 * module's dependencies before verifying it and answers from their run-time types. The
 * built-in error classes (runtime/errors.def) and the classes of the module itself are known
 * without asking. */
typedef struct verify_env {
    void *ctx;                    /* passed back to is_subtype */
    /* Is class or interface `sub` ("Lutil.Circle;") the class or interface `super`, or a
     * subtype of it? */
    bool (*is_subtype)(void *ctx, const char *sub, const char *super);
} verify_env;

/* verify_module with an environment; verify_module(m, err) is verify_module_env(m, NULL, err),
 * which accepts a class of another module only where exactly that class is expected. */
int verify_module_env(const bc_module *m, const verify_env *env, holt_buf *err);

/* Shared with bc_read (internal to vm/). Is d[0..len) exactly one well-formed value-type
 * descriptor (docs/bytecode.md: no V, no type variables, nesting at most 255 deep)? */
bool verify__desc(const char *d, size_t len);
/* NULL when constant k of m is in range and every constant it refers to is of the right tag
 * (a TYPE's desc a STR holding a well-formed descriptor, FUNC and NATIVE types function
 * types, names STRs without NUL); else a short phrase saying what is wrong. */
const char *verify__const(const bc_module *m, uint32_t k);

/* Internal to vm/ (verify_obj.c): the classes a module knows. Descriptors are slices, 'L' and
 * ';' included. verify__class_name splits "Lapp.Stack<int>;" at the last '.' outside <...>:
 * *modlen the module part's length (3), *generic whether the name holds '<'; false when there
 * is no such '.' with text on both sides. */
typedef struct verify_classes verify_classes;
enum { VC_CLASS, VC_INTERFACE, VC_BUILTIN, VC_FOREIGN, VC_MISSING };
bool verify__class_name(const char *d, size_t len, size_t *modlen, bool *generic);
verify_classes *verify__classes_new(const bc_module *m, const verify_env *env);
void verify__classes_free(verify_classes *c);
/* The class section's rules; 0, or -1 with one line in err. */
int verify__classes_check(verify_classes *c, holt_buf *err);
/* VC_CLASS / VC_INTERFACE (this module's, *index set), VC_BUILTIN (an error class),
 * VC_FOREIGN (another module's), VC_MISSING (named after this module but not defined). */
int verify__class_kind(const verify_classes *c, const char *d, size_t len, int32_t *index);
bool verify__subclass(verify_classes *c, const char *sub, size_t sublen, const char *sup, size_t suplen);
/* A field (field) or method of class cls with this name and type: 1 found, 0 absent, -1 the
 * class's hierarchy leaves this module (the linker decides). */
int verify__member(verify_classes *c, bool field, const char *cls, size_t clen, const char *name, size_t nlen,
                   const char *type, size_t tlen);

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
    /* Its module's linked constants and globals (mod->k, mod->kp, mod->globals), here so that
     * a call loads them from the function without going through the module. */
    const uint64_t *k;
    void *const *kp;
    uint64_t *globals;
    const uint8_t *code;          /* bc->code */
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

/* link_class.c, internal to link.c: define the classes of vmm as run-time types, resolve its
 * FIELD constants (k = slot) and METHOD constants (k = LINK_METHOD(...)), and check its NEW
 * and CELL instructions. The ids of the types it defined go to *defined (the caller frees
 * it), so that a failed link can make them undefined again with link__classes_undo. */
int link__classes(holt_vm *vm, vm_module *vmm, rt_typeid **defined, uint32_t *ndefined, holt_buf *err);
void link__classes_undo(holt_vm *vm, const rt_typeid *defined, uint32_t n);
/* A linked METHOD constant: the argument count without the receiver (bits 0-15), the vtable
 * slot or the interface method index (16-31), and the interface's type id for a method of an
 * interface, 0 for a method of a class (32-63). */
#define LINK_METHOD(nargs, slot, iface) ((uint64_t)(nargs) | (uint64_t)(slot) << 16 | (uint64_t)(iface) << 32)
#define LINK_METHOD_NARGS(k) ((uint32_t)((k) & 0xFFFF))
#define LINK_METHOD_SLOT(k) ((uint32_t)(((k) >> 16) & 0xFFFF))
#define LINK_METHOD_IFACE(k) ((rt_typeid)((k) >> 32))

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
 * take functions call back through it). Returns RT_OK, RT_THROWN or RT_EXITED as above.
 * args holds fn->ncaps cells (a closure's captures) and then fn->nparams arguments. It is
 * vm->call_hook: rt_call_value and rt_call_fn come through here. */
int interp_call(holt_vm *vm, vm_function *fn, const uint64_t *args, uint64_t *result);

#endif
