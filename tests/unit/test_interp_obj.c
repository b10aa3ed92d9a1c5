/* test_interp_obj.c — linking and running objects (docs/objects.md): classes, vtables and
 * itables, fields, closures and cells, is/as, exceptions with handlers, traces kept across
 * rethrows, to_str, and the link errors of classes.
 *
 * Modules are assembled by hand with the assembler of test_interp.c (copied: each test
 * program is its own executable), extended with class sections, exception tables, member
 * constants and captures. Interpreter tests run with both dispatch methods (BOTH). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Not every helper of the shared assembler is used by these tests. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
/* ---- a small assembler ------------------------------------------------------------------------ */

static const char *const operand_letters[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = operands,
#include "opcodes.def"
#undef OP
};

static const char *const op_names[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = #name,
#include "opcodes.def"
#undef OP
};

#define AS_MAX_LABELS 64
#define AS_MAX_FIXUPS 256

typedef struct {
    bc_module *m;
    uint32_t kcap;                /* consts allocated */
    uint16_t fcap;                /* funcs allocated */
    int cur;                      /* function being assembled, -1 when none */
    holt_buf code;                /* its code */
    bc_line *lines;               /* its line table */
    uint32_t nlines;
    uint32_t line;                /* current source line */
    uint16_t max_stack;           /* max_stack to record */
    uint32_t label_at[AS_MAX_LABELS];
    int nlabels;
    struct {
        uint32_t insn, at;        /* the jump's opcode offset and its operand offset */
        int label;
    } fix[AS_MAX_FIXUPS];
    int nfix;
} as_t;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    memcpy(p, s, n);
    return p;
}

static as_t *as_new(const char *name, const char *path)
{
    as_t *a = calloc(1, sizeof *a);
    a->m = calloc(1, sizeof *a->m);
    a->m->name = dup_str(name);
    a->m->path = dup_str(path);
    a->kcap = 16;
    a->m->consts = calloc(a->kcap, sizeof *a->m->consts);
    a->m->nconsts = 1;
    a->cur = -1;
    buf_init(&a->code);
    return a;
}

static uint16_t as_const(as_t *a, bc_const c)
{
    if (a->m->nconsts == a->kcap) {
        a->kcap *= 2;
        a->m->consts = realloc(a->m->consts, a->kcap * sizeof *a->m->consts);
    }
    a->m->consts[a->m->nconsts] = c;
    return (uint16_t)a->m->nconsts++;
}

static uint16_t as_str(as_t *a, const char *s)
{
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_STR && strcmp(a->m->consts[i].u.s.bytes, s) == 0)
            return (uint16_t)i;
    bc_const c = {.tag = BC_K_STR};
    c.u.s.len = (uint32_t)strlen(s);
    c.u.s.bytes = dup_str(s);
    return as_const(a, c);
}

/* A STR constant with arbitrary bytes (NUL and high bytes allowed); never shared. */
static uint16_t as_bytes(as_t *a, const char *s, uint32_t len)
{
    bc_const c = {.tag = BC_K_STR};
    c.u.s.len = len;
    c.u.s.bytes = malloc(len + 1);
    memcpy(c.u.s.bytes, s, len);
    c.u.s.bytes[len] = 0;
    return as_const(a, c);
}

static uint16_t as_type(as_t *a, const char *desc)
{
    uint16_t s = as_str(a, desc);
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_TYPE && a->m->consts[i].u.desc == s)
            return (uint16_t)i;
    return as_const(a, (bc_const){.tag = BC_K_TYPE, .u.desc = s});
}

static uint16_t as_int(as_t *a, int64_t v) { return as_const(a, (bc_const){.tag = BC_K_INT, .u.i = v}); }
static uint16_t as_flt(as_t *a, double v) { return as_const(a, (bc_const){.tag = BC_K_FLOAT, .u.f = v}); }

static uint16_t as_mod(as_t *a, const char *name)
{
    uint16_t s = as_str(a, name);
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_MODULE && a->m->consts[i].u.mod.name == s)
            return (uint16_t)i;
    bc_const c = {.tag = BC_K_MODULE};
    c.u.mod.name = s;
    return as_const(a, c);
}

static uint16_t as_ref(as_t *a, int tag, const char *mod, const char *name, const char *desc)
{
    bc_const c = {.tag = (uint8_t)tag};
    c.u.ref.module = mod ? as_mod(a, mod) : 0;
    c.u.ref.name = as_str(a, name);
    c.u.ref.type = as_type(a, desc);
    return as_const(a, c);
}
#define as_func(a, mod, name, desc) as_ref(a, BC_K_FUNC, mod, name, desc)
#define as_glob(a, mod, name, desc) as_ref(a, BC_K_GLOBAL, mod, name, desc)
#define as_native(a, name, desc) as_ref(a, BC_K_NATIVE, NULL, name, desc)

static uint16_t as_global(as_t *a, const char *name, const char *desc, uint16_t flags)
{
    bc_module *m = a->m;
    m->globals = realloc(m->globals, (m->nglobals + 1) * sizeof *m->globals);
    m->globals[m->nglobals] = (bc_global){as_str(a, name), as_type(a, desc), flags};
    return m->nglobals++;
}

/* Begin a function; `locals` lists every local's descriptor (parameters first), separated by
 * spaces. Returns its index. */
static uint16_t as_fn(as_t *a, const char *name, const char *desc, uint16_t nparams, const char *locals)
{
    bc_module *m = a->m;
    cr_assert_eq(a->cur, -1, "as_fn inside a function");
    if (m->nfuncs == a->fcap) {
        a->fcap = a->fcap ? 2 * a->fcap : 8;
        m->funcs = realloc(m->funcs, a->fcap * sizeof *m->funcs);
    }
    bc_function *f = &m->funcs[m->nfuncs];
    memset(f, 0, sizeof *f);
    f->name = as_str(a, name);
    f->type = as_type(a, desc);
    f->nparams = nparams;
    f->local_types = calloc(64, sizeof *f->local_types);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", locals);
    for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
        f->local_types[f->nlocals++] = as_type(a, t);
    a->cur = m->nfuncs++;
    buf_reset(&a->code);
    a->lines = NULL;
    a->nlines = 0;
    a->line = 1;
    a->max_stack = 16;
    a->nlabels = a->nfix = 0;
    return (uint16_t)a->cur;
}

static uint16_t as_main(as_t *a)
{
    a->m->main = (uint16_t)a->m->nfuncs;
    return as_fn(a, "<main>", "()V", 0, "");
}

static void as_line(as_t *a, uint32_t line) { a->line = line; }

static int as_label(as_t *a)
{
    cr_assert_lt(a->nlabels, AS_MAX_LABELS);
    a->label_at[a->nlabels] = UINT32_MAX;
    return a->nlabels++;
}

static void as_bind(as_t *a, int label) { a->label_at[label] = (uint32_t)a->code.len; }

/* Emit one instruction; x and y are its operands in order (a label for j). */
static void as_emit(as_t *a, int op, int64_t x, int64_t y, ...)
{
    uint32_t pc = (uint32_t)a->code.len;
    if (!a->nlines || a->lines[a->nlines - 1].line != a->line) {
        a->lines = realloc(a->lines, (a->nlines + 1) * sizeof *a->lines);
        a->lines[a->nlines++] = (bc_line){pc, a->line};
    }
    buf_u8(&a->code, (uint8_t)op);
    int64_t vals[2] = {x, y};
    int n = 0;
    for (const char *o = operand_letters[op]; *o; o++) {
        int64_t v = vals[n++];
        switch (*o) {
        case 'b': buf_u8(&a->code, (uint8_t)v); break;
        case 'h': case 'k': buf_u16(&a->code, (uint16_t)v); break;
        case 'i': buf_u32(&a->code, (uint32_t)(int32_t)v); break;
        case 'j':
            cr_assert_lt(a->nfix, AS_MAX_FIXUPS);
            a->fix[a->nfix].insn = pc;
            a->fix[a->nfix].at = (uint32_t)a->code.len;
            a->fix[a->nfix++].label = (int)v;
            buf_u32(&a->code, 0);
            break;
        }
    }
}
#define E(a, ...) as_emit(a, __VA_ARGS__, 0, 0)

static void as_end(as_t *a)
{
    bc_function *f = &a->m->funcs[a->cur];
    for (int i = 0; i < a->nfix; i++) {
        uint32_t to = a->label_at[a->fix[i].label];
        cr_assert_neq(to, UINT32_MAX, "unbound label");
        uint32_t off = (uint32_t)((int32_t)to - (int32_t)a->fix[i].insn);
        for (int b = 0; b < 4; b++)
            a->code.data[a->fix[i].at + b] = (char)(off >> 8 * b);
    }
    f->code_len = (uint32_t)a->code.len;
    f->code = malloc(a->code.len ? a->code.len : 1);
    memcpy(f->code, a->code.data, a->code.len);
    f->lines = a->lines;
    f->nlines = a->nlines;
    f->max_stack = a->max_stack;
    a->cur = -1;
}

static bc_module *as_done(as_t *a)
{
    cr_assert_eq(a->cur, -1, "as_done inside a function");
    bc_module *m = a->m;
    buf_free(&a->code);
    free(a);
    return m;
}

/* ---- a VM for tests ------------------------------------------------------------------------ */

typedef struct {
    holt_buf out;                 /* what the program wrote to fd 1 */
    holt_buf err;                 /* ... and to fd 2 */
} captured;

static int64_t capture_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    captured *c = ctx;
    char *tmp = malloc(a[2] + 1);
    hm_read(m, a[1], tmp, a[2]);
    buf_put(a[0] == 2 ? &c->err : &c->out, tmp, a[2]);
    free(tmp);
    return (int64_t)a[2];
}

static holt_vm *vm_new_cfg(int sw, uint32_t stack_slots, uint32_t max_frames)
{
    holt_vm *vm = calloc(1, sizeof *vm);
    vm->cfg.mem_bytes = 64u << 20;
    vm->cfg.stack_slots = stack_slots;
    vm->cfg.max_frames = max_frames;
    vm->cfg.force_switch = sw;
    buf_init(&vm->trace);
    cr_assert_eq(hm_init(&vm->m, vm->cfg.mem_bytes), 0);
    cr_assert_eq(rt_init(vm), 0);
    captured *c = calloc(1, sizeof *c);
    buf_init(&c->out);
    buf_init(&c->err);
    trap_set(&vm->m, TRAP_WRITE, capture_write, c);
    return vm;
}

static holt_vm *vm_new(int sw) { return vm_new_cfg(sw, 1u << 16, 10000); }

static captured *vm_captured(holt_vm *vm) { return vm->m.traps[TRAP_WRITE].ctx; }

/* Everything the program printed so far. */
static const char *vm_out(holt_vm *vm)
{
    rt_out_flush(vm);
    captured *c = vm_captured(vm);
    return c->out.data ? c->out.data : "";
}

static void vm_free(holt_vm *vm)
{
    captured *c = vm_captured(vm);
    for (uint32_t i = 0; i < vm->nmodules; i++)
        vm_module_free(vm->modules[i]);
    free(vm->modules);
    free(vm->stack);
    free(vm->frames);
    free(vm->fntab);
    buf_free(&vm->trace);
    rt_destroy(vm);
    hm_destroy(&vm->m);
    buf_free(&c->out);
    buf_free(&c->err);
    free(c);
    free(vm);
}

static vm_module *link_ok(holt_vm *vm, as_t *a)
{
    holt_buf err;
    buf_init(&err);
    bc_module *bm = as_done(a);
    /* What the tests run is what the verifier admits: nothing else ever reaches the
     * interpreter. */
    cr_assert_eq(verify_module(bm, &err), 0, "verify failed: %s", err.data ? err.data : "");
    vm_module *m = link_module(vm, bm, &err);
    cr_assert(m, "link failed: %s", err.data ? err.data : "");
    buf_free(&err);
    return m;
}

/* Link a module that must fail to link, with exactly this message; `verify` says whether it
 * passes the verifier first (a module the verifier would reject tests the linker's own
 * defences). */
static void link_fails_v(holt_vm *vm, as_t *a, const char *msg, bool verify)
{
    holt_buf err;
    buf_init(&err);
    bc_module *bm = as_done(a);
    if (verify)
        cr_assert_eq(verify_module(bm, &err), 0, "verify failed: %s", err.data ? err.data : "");
    uint32_t before = vm->nmodules;
    cr_assert_null(link_module(vm, bm, &err), "linked, expected: %s", msg);
    cr_assert_str_eq(err.data ? err.data : "", msg);
    cr_assert_eq(vm->nmodules, before, "a failed link must not add a module");
    bc_module_free(bm);
    buf_free(&err);
}

static void link_fails(holt_vm *vm, as_t *a, const char *msg) { link_fails_v(vm, a, msg, true); }

static vm_function *fn_named(vm_module *m, const char *name)
{
    for (uint16_t i = 0; i < m->bc->nfuncs; i++)
        if (strcmp(m->funcs[i].name, name) == 0)
            return &m->funcs[i];
    cr_assert_fail("no function %s", name);
    return NULL;
}

/* Call function `name` of m, which must return normally; its result. */
static uint64_t call_ok(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args)
{
    uint64_t r = 0xdeadbeef;
    int st = interp_call(vm, fn_named(m, name), args, &r);
    if (st == RT_THROWN) {
        gaddr msg = rt_err_message(vm, vm->exc);
        char *text = msg ? rt_str_dup(vm, msg, NULL) : NULL;
        cr_assert_fail("%s threw: %s (switch=%d)", name, text ? text : "?", vm->cfg.force_switch);
    }
    cr_assert_eq(st, RT_OK, "%s: status %d", name, st);
    cr_assert_eq(vm->nframes, 0);
    return r;
}

/* The last error must be of class `kind` with message `msg`. */
static void check_error(holt_vm *vm, rt_err kind, const char *msg)
{
    cr_assert_neq(vm->exc, 0);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, kind), "error class: expected %s, found %s (switch=%d)",
                 rt_type_get(vm, rt_err_type(vm, kind))->name, rt_type_get(vm, rt_obj_type(vm, vm->exc))->name,
                 vm->cfg.force_switch);
    gaddr m = rt_err_message(vm, vm->exc);
    char *text = m ? rt_str_dup(vm, m, NULL) : NULL;
    cr_assert_str_eq(text ? text : "", msg);
    free(text);
}

/* Call `name`, which must throw kind/msg; the VM must be back to no frames. */
static void call_throws(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args, rt_err kind,
                        const char *msg)
{
    vm->trace_done = false;
    uint64_t r;
    int st = interp_call(vm, fn_named(m, name), args, &r);
    cr_assert_eq(st, RT_THROWN, "%s: expected a throw, status %d (switch=%d)", name, st, vm->cfg.force_switch);
    check_error(vm, kind, msg);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_null(vm->catcher);
    cr_assert(vm->trace_done);
}

static char *str_of(holt_vm *vm, gaddr s)
{
    return s ? rt_str_dup(vm, s, NULL) : NULL;
}

static double as_d(uint64_t v)
{
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* A test body run under both dispatch methods. */
#define BOTH(name)                                                                             \
    static void name##_body(int sw);                                                           \
    Test(interp, name)                                                                         \
    {                                                                                          \
        name##_body(0);                                                                        \
        name##_body(1);                                                                        \
    }                                                                                          \
    static void name##_body(int sw)

/* A module "t" with an empty <main>, ready for more functions. */
static as_t *mod_t(void)
{
    as_t *a = as_new("t", "t.holt");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    return a;
}

/* ---- objects in the assembler ------------------------------------------------------------------ */

/* Add a class (or interface) to the module's class section; returns its index. */
static int as_class(as_t *a, const char *desc, uint16_t flags, const char *super)
{
    bc_module *m = a->m;
    m->classes = realloc(m->classes, (m->nclasses + 1) * sizeof *m->classes);
    bc_class *c = &m->classes[m->nclasses];
    memset(c, 0, sizeof *c);
    c->type = as_type(a, desc);
    c->flags = flags;
    c->super = super ? as_type(a, super) : 0;
    return m->nclasses++;
}

static void as_cfield(as_t *a, int ci, const char *name, const char *desc)
{
    bc_class *c = &a->m->classes[ci];
    c->fields = realloc(c->fields, (c->nfields + 1) * sizeof *c->fields);
    c->fields[c->nfields++] = (bc_field){as_str(a, name), as_type(a, desc)};
}

static void as_cmethod(as_t *a, int ci, const char *name, const char *sig, uint16_t func)
{
    bc_class *c = &a->m->classes[ci];
    c->methods = realloc(c->methods, (c->nmethods + 1) * sizeof *c->methods);
    c->methods[c->nmethods++] = (bc_method){as_str(a, name), as_type(a, sig), func};
}

static void as_ciface(as_t *a, int ci, const char *desc)
{
    bc_class *c = &a->m->classes[ci];
    c->ifaces = realloc(c->ifaces, (c->nifaces + 1) * sizeof *c->ifaces);
    c->ifaces[c->nifaces++] = as_type(a, desc);
}

/* A FIELD or METHOD constant: class TYPE, name, type. */
static uint16_t as_member(as_t *a, int tag, const char *cls, const char *name, const char *desc)
{
    bc_const c = {.tag = (uint8_t)tag};
    c.u.ref.module = as_type(a, cls);
    c.u.ref.name = as_str(a, name);
    c.u.ref.type = as_type(a, desc);
    return as_const(a, c);
}
#define as_fieldk(a, cls, name, desc) as_member(a, BC_K_FIELD, cls, name, desc)
#define as_methodk(a, cls, name, desc) as_member(a, BC_K_METHOD, cls, name, desc)

/* An exception-table entry of function fi over labels [from, to) landing at `at`, catching
 * class `type` (NULL: everything). Call right after as_end of that function. */
static void as_handler(as_t *a, uint16_t fi, int from, int to, int at, const char *type)
{
    bc_function *f = &a->m->funcs[fi];
    f->handlers = realloc(f->handlers, (f->nhandlers + 1) * sizeof *f->handlers);
    f->handlers[f->nhandlers++] = (bc_handler){a->label_at[from], a->label_at[to], a->label_at[at],
                                               type ? as_type(a, type) : 0};
}

/* Link a module; `verify` says whether it goes through the verifier first. */
static vm_module *link_v(holt_vm *vm, as_t *a, bool verify)
{
    holt_buf err;
    buf_init(&err);
    bc_module *bm = as_done(a);
    if (verify)
        cr_assert_eq(verify_module(bm, &err), 0, "verify failed: %s", err.data ? err.data : "");
    vm_module *m = link_module(vm, bm, &err);
    cr_assert(m, "link failed: %s", err.data ? err.data : "");
    buf_free(&err);
    return m;
}

/* Every module of these tests is what the verifier admits. */
#define VERIFY true

/* The loader's answer to the verifier about classes of other modules: their run-time types. */
static bool env_is_subtype(void *ctx, const char *sub, const char *super)
{
    holt_vm *vm = ctx;
    return strcmp(sub, super) == 0 || rt_type_is(vm, rt_type_intern(vm, sub), rt_type_intern(vm, super));
}

/* Verify with the classes linked so far known, as the loader does, then link. */
static vm_module *link_env(holt_vm *vm, as_t *a)
{
    holt_buf err;
    buf_init(&err);
    bc_module *bm = as_done(a);
    verify_env env = {vm, env_is_subtype};
    cr_assert_eq(verify_module_env(bm, &env, &err), 0, "verify failed: %s", err.data ? err.data : "");
    vm_module *m = link_module(vm, bm, &err);
    cr_assert(m, "link failed: %s", err.data ? err.data : "");
    buf_free(&err);
    return m;
}

/* The error's `$trace` text (slot 1), or "" when it has none. */
static char *trace_of(holt_vm *vm, gaddr err)
{
    gaddr t = hm_ld64(&vm->m, err + 16);
    char *s = t ? rt_str_dup(vm, t, NULL) : NULL;
    return s ? s : calloc(1, 1);
}

/* ---- shapes: an interface, a class, a subclass overriding a method ----------------------------- */

/* Module "app":
 *   interface Shape { area() -> float }
 *   class Rect : Shape { w: float  h: float  area() = w * h  name() = "rect" }
 *   class Square : Rect { area() = w + 100 }      (overrides in place)
 *   class Circle : Shape { r: float  area() = r }
 * and functions to make them, call them virtually and through the interface. */
static as_t *shapes(void)
{
    as_t *a = as_new("app", "app.holt");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t fw = as_fieldk(a, "Lapp.Rect;", "w", "F"), fh = as_fieldk(a, "Lapp.Rect;", "h", "F");
    uint16_t fr = as_fieldk(a, "Lapp.Circle;", "r", "F");
    uint16_t rect_area = as_fn(a, "Rect.area", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fh);
    E(a, OP_FMUL);
    E(a, OP_RETV);
    as_end(a);
    uint16_t rect_name = as_fn(a, "Rect.name", "(Lapp.Rect;)S", 1, "Lapp.Rect;");
    E(a, OP_KSTR, as_str(a, "rect"));
    E(a, OP_RETV);
    as_end(a);
    uint16_t sq_area = as_fn(a, "Square.area", "(Lapp.Square;)F", 1, "Lapp.Square;");
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_KFLT, as_flt(a, 100));
    E(a, OP_FADD);
    E(a, OP_RETV);
    as_end(a);
    uint16_t c_area = as_fn(a, "Circle.area", "(Lapp.Circle;)F", 1, "Lapp.Circle;");
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fr);
    E(a, OP_RETV);
    as_end(a);

    int shape = as_class(a, "Lapp.Shape;", BC_CLASS_INTERFACE, NULL);
    as_cmethod(a, shape, "area", "()F", BC_NO_FUNC);
    int rect = as_class(a, "Lapp.Rect;", 0, NULL);
    as_ciface(a, rect, "Lapp.Shape;");
    as_cfield(a, rect, "w", "F");
    as_cfield(a, rect, "h", "F");
    as_cmethod(a, rect, "area", "()F", rect_area);
    as_cmethod(a, rect, "name", "()S", rect_name);
    int sq = as_class(a, "Lapp.Square;", 0, "Lapp.Rect;");
    as_cmethod(a, sq, "area", "()F", sq_area);
    int circ = as_class(a, "Lapp.Circle;", 0, NULL);
    as_ciface(a, circ, "Lapp.Shape;");
    as_cfield(a, circ, "r", "F");
    as_cmethod(a, circ, "area", "()F", c_area);

    /* make_rect(w, h), make_square(w) as a Rect, make_circle(r) as a Shape */
    as_fn(a, "make_rect", "(FF)Lapp.Rect;", 2, "F F Lapp.Rect;");
    E(a, OP_NEW, as_type(a, "Lapp.Rect;"));
    E(a, OP_STORE, 2);
    E(a, OP_LOAD, 2);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fw);
    E(a, OP_LOAD, 2);
    E(a, OP_LOAD, 1);
    E(a, OP_SETF, fh);
    E(a, OP_LOAD, 2);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make_square", "(F)Lapp.Rect;", 1, "F");
    E(a, OP_NEW, as_type(a, "Lapp.Square;"));
    E(a, OP_DUP);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fw);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make_circle", "(F)Lapp.Shape;", 1, "F");
    E(a, OP_NEW, as_type(a, "Lapp.Circle;"));
    E(a, OP_DUP);
    E(a, OP_LOAD, 0);
    E(a, OP_SETF, fr);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "vt", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 20);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Lapp.Rect;", "area", "()F"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "itf", "(Lapp.Shape;)F", 1, "Lapp.Shape;");
    as_line(a, 21);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLIF, as_methodk(a, "Lapp.Shape;", "area", "()F"));
    E(a, OP_KFLT, as_flt(a, 0.5));
    E(a, OP_FADD); /* the call's result, then more work: the return resumed right */
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "getw", "(Lapp.Rect;)F", 1, "Lapp.Rect;");
    as_line(a, 22);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fw);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "setw", "(Lapp.Rect;)V", 1, "Lapp.Rect;");
    as_line(a, 23);
    E(a, OP_LOAD, 0);
    E(a, OP_KFLT, as_flt(a, 1));
    E(a, OP_SETF, fw);
    E(a, OP_RET);
    as_end(a);
    as_fn(a, "name_of", "(Lapp.Rect;)S", 1, "Lapp.Rect;");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Lapp.Rect;", "name", "()S"));
    E(a, OP_RETV);
    as_end(a);
    /* is / as */
    as_fn(a, "is_rect", "(A)Z", 1, "A");
    E(a, OP_LOAD, 0);
    E(a, OP_IS, as_type(a, "Lapp.Rect;"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "is_shape", "(A)Z", 1, "A");
    E(a, OP_LOAD, 0);
    E(a, OP_IS, as_type(a, "Lapp.Shape;"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "is_int", "(A)Z", 1, "A");
    E(a, OP_LOAD, 0);
    E(a, OP_IS, as_type(a, "I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "as_rect", "(A)Lapp.Rect;", 1, "A");
    as_line(a, 30);
    E(a, OP_LOAD, 0);
    E(a, OP_CAST, as_type(a, "Lapp.Rect;"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "as_int", "(A)I", 1, "A");
    as_line(a, 31);
    E(a, OP_LOAD, 0);
    E(a, OP_CAST, as_type(a, "I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "box", "(I)A", 1, "I");
    E(a, OP_LOAD, 0);
    E(a, OP_BOXI);
    E(a, OP_RETV);
    as_end(a);
    return a;
}

static uint64_t fbits(double d) { return rt_bits_of(d); }

Test(link_class, classes_become_run_time_types)
{
    holt_vm *vm = vm_new(0);
    vm_module *m = link_v(vm, shapes(), VERIFY);
    const rt_type *shape = rt_type_get(vm, rt_type_intern(vm, "Lapp.Shape;"));
    const rt_type *rect = rt_type_get(vm, rt_type_intern(vm, "Lapp.Rect;"));
    const rt_type *sq = rt_type_get(vm, rt_type_intern(vm, "Lapp.Square;"));
    cr_assert(shape->defined && shape->is_iface);
    cr_assert(rect->defined && !rect->is_iface);
    cr_assert_str_eq(rect->name, "Rect");
    cr_assert_eq(rect->nfields, 2);
    cr_assert_str_eq(rect->field_names[1], "h");
    cr_assert_eq(rect->field_types[1], RT_T_FLOAT);
    cr_assert_eq(sq->nfields, 2, "fields are the base's");
    cr_assert_eq(sq->parent, rt_type_intern(vm, "Lapp.Rect;"));
    /* area overridden in place, name inherited */
    cr_assert_eq(sq->nvtable, 2);
    cr_assert_str_eq(sq->vnames[0], "area");
    cr_assert_eq(sq->vtable[0], fn_named(m, "Square.area"));
    cr_assert_eq(rect->vtable[0], fn_named(m, "Rect.area"));
    cr_assert_eq(sq->vtable[1], fn_named(m, "Rect.name"));
    /* interfaces are inherited, each with its itable */
    cr_assert_eq(sq->nifaces, 1);
    cr_assert_eq(sq->ifaces[0], rt_type_intern(vm, "Lapp.Shape;"));
    cr_assert_eq(sq->itables[0].slots[0], 0);
    cr_assert(rt_type_is(vm, rt_type_intern(vm, "Lapp.Square;"), rt_type_intern(vm, "Lapp.Shape;")));
    cr_assert_null(rect->to_str);
    /* every function has its id */
    for (uint16_t i = 0; i < m->bc->nfuncs; i++)
        cr_assert_eq(vm->fntab[m->funcs[i].id], &m->funcs[i]);
    vm_free(vm);
}

BOTH(fields_and_virtual_calls)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_v(vm, shapes(), VERIFY);
    uint64_t wh[] = {fbits(2), fbits(3)};
    gaddr r = call_ok(vm, m, "make_rect", wh);
    cr_assert_eq(rt_obj_type(vm, r), rt_type_intern(vm, "Lapp.Rect;"));
    cr_assert_eq(as_d(call_ok(vm, m, "getw", &r)), 2.0);
    cr_assert_eq(as_d(call_ok(vm, m, "vt", &r)), 6.0);
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &r)), 6.5);
    uint64_t w = fbits(5);
    gaddr s = call_ok(vm, m, "make_square", &w);
    cr_assert_eq(as_d(call_ok(vm, m, "vt", &s)), 105.0, "the override runs");
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &s)), 105.5, "the itable follows the override");
    char *n = str_of(vm, call_ok(vm, m, "name_of", &s));
    cr_assert_str_eq(n, "rect");
    free(n);
    gaddr c = call_ok(vm, m, "make_circle", &w);
    cr_assert_eq(as_d(call_ok(vm, m, "itf", &c)), 5.5);
    call_ok(vm, m, "setw", &s);
    cr_assert_eq(as_d(call_ok(vm, m, "getw", &s)), 1.0);
    vm_free(vm);
}

BOTH(null_receivers_name_what_was_null)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_v(vm, shapes(), VERIFY);
    uint64_t null = 0;
    call_throws(vm, m, "getw", &null, RT_E_NullError, "cannot read field 'w' of null Rect");
    cr_assert_str_eq(vm->trace.data, "  at getw (app.holt:22)\n");
    call_throws(vm, m, "setw", &null, RT_E_NullError, "cannot write field 'w' of null Rect");
    call_throws(vm, m, "vt", &null, RT_E_NullError, "cannot call 'area' on null Rect");
    cr_assert_str_eq(vm->trace.data, "  at vt (app.holt:20)\n");
    call_throws(vm, m, "itf", &null, RT_E_NullError, "cannot call 'area' on null Shape");
    vm_free(vm);
}

BOTH(is_and_as)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_v(vm, shapes(), VERIFY);
    uint64_t w = fbits(5), null = 0, seven = 7;
    gaddr s = call_ok(vm, m, "make_square", &w);
    gaddr c = call_ok(vm, m, "make_circle", &w);
    gaddr b = call_ok(vm, m, "box", &seven);
    cr_assert_eq(call_ok(vm, m, "is_rect", &s), 1, "a subclass is its base");
    cr_assert_eq(call_ok(vm, m, "is_rect", &c), 0);
    cr_assert_eq(call_ok(vm, m, "is_rect", &null), 0);
    cr_assert_eq(call_ok(vm, m, "is_rect", &b), 0);
    cr_assert_eq(call_ok(vm, m, "is_shape", &s), 1, "interfaces through the base");
    cr_assert_eq(call_ok(vm, m, "is_shape", &c), 1);
    cr_assert_eq(call_ok(vm, m, "is_shape", &b), 0);
    cr_assert_eq(call_ok(vm, m, "is_int", &b), 1);
    cr_assert_eq(call_ok(vm, m, "is_int", &s), 0);
    cr_assert_eq(call_ok(vm, m, "as_rect", &s), s);
    cr_assert_eq(call_ok(vm, m, "as_rect", &null), 0, "null as a reference type is null");
    cr_assert_eq(call_ok(vm, m, "as_int", &b), 7);
    call_throws(vm, m, "as_rect", &c, RT_E_CastError, "cannot cast Circle to Rect");
    cr_assert_str_eq(vm->trace.data, "  at as_rect (app.holt:30)\n");
    call_throws(vm, m, "as_int", &null, RT_E_CastError, "cannot cast null to int");
    call_throws(vm, m, "as_int", &c, RT_E_CastError, "cannot cast Circle to int");
    vm_free(vm);
}

/* ---- closures and cells ------------------------------------------------------------------------ */

/* Module "c":
 *   fn counter() -> fn() -> int { var n = 0; return fn() { n = n + 1; return n } }
 *   fn twice(f) = f(); f()             fn add3(x, y) via a closure of a named function
 *   fn call_null() calls a null function value */
static as_t *closures(void)
{
    as_t *a = as_new("c", "c.holt");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t inc = as_fn(a, "<fn>", "()I", 0, "^I");
    a->m->funcs[inc].ncaps = 1;
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_CGET);
    E(a, OP_IIMM, 1);
    E(a, OP_IADD);
    E(a, OP_CSET);
    E(a, OP_LOAD, 0);
    E(a, OP_CGET);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "counter", "()()I", 0, "^I");
    E(a, OP_IIMM, 0);
    E(a, OP_CELL);
    E(a, OP_STORE, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_CLOSURE, inc, 1);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "twice", "(()I)I", 1, "()I");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLV, 0);
    E(a, OP_POP);
    E(a, OP_LOAD, 0);
    E(a, OP_CALLV, 0);
    E(a, OP_IIMM, 1000);
    E(a, OP_IADD); /* work after a 2-byte call: the return resumed right */
    E(a, OP_RETV);
    as_end(a);
    uint16_t add = as_fn(a, "add", "(II)I", 2, "I I");
    E(a, OP_LOAD, 0);
    E(a, OP_LOAD, 1);
    E(a, OP_ISUB);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "add_value", "()(II)I", 0, "");
    E(a, OP_CLOSURE, add, 0);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "apply", "((II)I)I", 1, "(II)I");
    E(a, OP_IIMM, 5);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 10);
    E(a, OP_IIMM, 3);
    E(a, OP_CALLV, 2);
    E(a, OP_IADD);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "call_null", "()I", 0, "");
    as_line(a, 9);
    E(a, OP_NULL, as_type(a, "()I"));
    E(a, OP_CALLV, 0);
    E(a, OP_RETV);
    as_end(a);
    return a;
}

BOTH(closures_share_their_cells)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_v(vm, closures(), VERIFY);
    gaddr f = call_ok(vm, m, "counter", NULL);
    cr_assert_eq(rt_obj_type(vm, f), rt_type_intern(vm, "()I"));
    cr_assert_eq(call_ok(vm, m, "twice", &f), 1002);
    cr_assert_eq(call_ok(vm, m, "twice", &f), 1004, "the cell outlives the call that made it");
    gaddr g = call_ok(vm, m, "counter", NULL);
    cr_assert_eq(call_ok(vm, m, "twice", &g), 1002, "each call of counter has its own cell");
    gaddr h = call_ok(vm, m, "add_value", NULL);
    cr_assert_eq(call_ok(vm, m, "apply", &h), 12);
    call_throws(vm, m, "call_null", NULL, RT_E_NullError, "cannot call a null function");
    cr_assert_str_eq(vm->trace.data, "  at call_null (c.holt:9)\n");
    /* Natives call function values back (rt_call_value); str() names the function. */
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        cr_assert_eq(rt_call_value(vm, f, NULL, 0), 5);
        uint64_t args[] = {20, 4};
        cr_assert_eq(rt_call_value(vm, h, args, 2), 16);
        char *s = str_of(vm, rt_tostr(vm, f, rt_type_intern(vm, "()I")));
        cr_assert_str_eq(s, "<fn>");
        free(s);
        s = str_of(vm, rt_tostr(vm, h, RT_T_ANY));
        cr_assert_str_eq(s, "<fn add>");
        free(s);
    } else {
        cr_assert_fail("threw");
    }
    vm->catcher = c.prev;
    vm_free(vm);
}

Test(link_class, a_cell_goes_straight_into_a_cell_local)
{
    holt_vm *vm = vm_new(0);
    as_t *a = mod_t();
    as_fn(a, "bad", "()V", 0, "^I");
    E(a, OP_IIMM, 1);
    E(a, OP_CELL);
    E(a, OP_POP);
    E(a, OP_RET);
    as_end(a);
    link_fails_v(vm, a, "link: module t: function bad, at 5: CELL is not followed by STORE into a cell local", false);
    vm_free(vm);
}

/* ---- exceptions ---------------------------------------------------------------------------------- */

/* Module "x" (file x.holt):
 *   fn thrower()          throws ValueError("bad") at line 5
 *   fn middle()           calls thrower (line 7)
 *   fn catch_here()       try { 1 / 0 } catch ArithmeticError -> 42
 *   fn catch_below()      try { middle() } catch e: Error -> len(e.message)   (two frames down)
 *   fn wrong_type()       try { middle() } catch IndexError -> 0: the error goes on
 *   fn fin()              try { middle() } finally-style catch-all: rethrow (line 12)
 *   fn recurse()          deep recursion
 *   fn overflow()         try { recurse() } catch StackOverflowError -> 7
 *   fn rethrow_caught()   try { middle() } catch e -> throw e (line 14) */
static as_t *excs(void)
{
    as_t *a = as_new("x", "x.holt");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t fmsg = as_fieldk(a, "LError;", "message", "S");
    uint16_t thrower = as_fn(a, "thrower", "()V", 0, "");
    as_line(a, 4);
    E(a, OP_NEW, as_type(a, "LValueError;"));
    E(a, OP_DUP);
    E(a, OP_KSTR, as_str(a, "bad"));
    E(a, OP_SETF, fmsg);
    as_line(a, 5);
    E(a, OP_THROW);
    as_end(a);
    uint16_t middle = as_fn(a, "middle", "()V", 0, "");
    as_line(a, 7);
    E(a, OP_CALL, thrower);
    E(a, OP_RET);
    as_end(a);

    uint16_t f = as_fn(a, "catch_here", "()I", 0, "");
    int s = as_label(a), e = as_label(a), h = as_label(a);
    as_bind(a, s);
    E(a, OP_IIMM, 1);
    E(a, OP_IIMM, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_bind(a, e);
    as_bind(a, h);
    E(a, OP_POP);
    E(a, OP_IIMM, 42);
    E(a, OP_RETV);
    as_end(a);
    as_handler(a, f, s, e, h, "LArithmeticError;");

    f = as_fn(a, "catch_below", "()I", 0, "LError;");
    s = as_label(a), e = as_label(a), h = as_label(a);
    as_bind(a, s);
    E(a, OP_CALL, middle);
    E(a, OP_IIMM, -1);
    E(a, OP_RETV);
    as_bind(a, e);
    as_bind(a, h);
    E(a, OP_STORE, 0);
    E(a, OP_LOAD, 0);
    E(a, OP_GETF, fmsg);
    E(a, OP_SLEN);
    E(a, OP_RETV);
    as_end(a);
    as_handler(a, f, s, e, h, "LError;");

    f = as_fn(a, "wrong_type", "()I", 0, "");
    s = as_label(a), e = as_label(a), h = as_label(a);
    as_line(a, 9);
    as_bind(a, s);
    E(a, OP_CALL, middle);
    E(a, OP_IIMM, -1);
    E(a, OP_RETV);
    as_bind(a, e);
    as_bind(a, h);
    E(a, OP_POP);
    E(a, OP_IIMM, 0);
    E(a, OP_RETV);
    as_end(a);
    as_handler(a, f, s, e, h, "LIndexError;");

    f = as_fn(a, "fin", "()V", 0, "LError;");
    s = as_label(a), e = as_label(a), h = as_label(a);
    as_line(a, 11);
    as_bind(a, s);
    E(a, OP_CALL, middle);
    E(a, OP_RET);
    as_bind(a, e);
    as_bind(a, h);
    E(a, OP_STORE, 0);
    as_line(a, 12);
    E(a, OP_LOAD, 0);
    E(a, OP_THROW);
    as_end(a);
    as_handler(a, f, s, e, h, NULL);

    uint16_t rec = as_fn(a, "recurse", "()V", 0, "");
    E(a, OP_CALL, rec);
    E(a, OP_RET);
    as_end(a);
    f = as_fn(a, "overflow", "()I", 0, "");
    s = as_label(a), e = as_label(a), h = as_label(a);
    as_bind(a, s);
    E(a, OP_CALL, rec);
    E(a, OP_IIMM, -1);
    E(a, OP_RETV);
    as_bind(a, e);
    as_bind(a, h);
    E(a, OP_POP);
    E(a, OP_IIMM, 7);
    E(a, OP_RETV);
    as_end(a);
    as_handler(a, f, s, e, h, "LStackOverflowError;");

    f = as_fn(a, "rethrow_caught", "()V", 0, "");
    s = as_label(a), e = as_label(a), h = as_label(a);
    as_line(a, 13);
    as_bind(a, s);
    E(a, OP_CALL, middle);
    E(a, OP_RET);
    as_bind(a, e);
    as_bind(a, h);
    as_line(a, 14);
    E(a, OP_THROW);
    as_end(a);
    as_handler(a, f, s, e, h, "LValueError;");

    f = as_fn(a, "throw_null", "()V", 0, "");
    as_line(a, 16);
    E(a, OP_NULL, as_type(a, "LError;"));
    E(a, OP_THROW);
    as_end(a);
    return a;
}

BOTH(handlers_catch_in_the_frame_and_below)
{
    holt_vm *vm = vm_new_cfg(sw, 1u << 16, 200);
    vm_module *m = link_v(vm, excs(), VERIFY);
    cr_assert_eq(call_ok(vm, m, "catch_here", NULL), 42);
    cr_assert_eq(call_ok(vm, m, "catch_below", NULL), 3);
    cr_assert_eq(call_ok(vm, m, "overflow", NULL), 7, "StackOverflowError is catchable");
    call_throws(vm, m, "wrong_type", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at wrong_type (x.holt:9)\n");
    char *t = trace_of(vm, vm->exc);
    cr_assert_str_eq(t, vm->trace.data, "the error keeps its trace in $trace");
    free(t);
    call_throws(vm, m, "throw_null", NULL, RT_E_NullError, "throw of null");
    vm_free(vm);
}

BOTH(a_rethrow_keeps_the_first_trace)
{
    holt_vm *vm = vm_new(sw);
    vm_module *m = link_v(vm, excs(), VERIFY);
    const char *want = "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at fin (x.holt:11)\n";
    call_throws(vm, m, "fin", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, want);
    call_throws(vm, m, "rethrow_caught", NULL, RT_E_ValueError, "bad");
    cr_assert_str_eq(vm->trace.data, "  at thrower (x.holt:5)\n  at middle (x.holt:7)\n  at rethrow_caught (x.holt:13)\n");
    vm_free(vm);
}

/* ---- link errors of classes ------------------------------------------------------------------------ */

/* A module "bad" with one class, its base and its interfaces, for the link errors. */
static as_t *one_class(const char *super, const char *iface, const char *method, const char *sig)
{
    as_t *a = mod_t();
    a->m->name[0] = 'b'; /* module "b" */
    int shape = as_class(a, "Lb.Shape;", BC_CLASS_INTERFACE, NULL);
    as_cmethod(a, shape, "area", "()F", BC_NO_FUNC);
    int base = as_class(a, "Lb.Base;", 0, NULL);
    uint16_t bf = as_fn(a, "Base.area", "(Lb.Base;)F", 1, "Lb.Base;");
    E(a, OP_KFLT, as_flt(a, 1));
    E(a, OP_RETV);
    as_end(a);
    as_cmethod(a, base, "area", "()F", bf);
    int c = as_class(a, "Lb.C;", 0, super);
    if (iface)
        as_ciface(a, c, iface);
    if (method) {
        char d[64];
        snprintf(d, sizeof d, "(Lb.C;%s", sig + 1);
        uint16_t f = as_fn(a, "C.m", d, 1, "Lb.C;");
        E(a, sig[2] == 'F' ? OP_KFLT : OP_IIMM, sig[2] == 'F' ? as_flt(a, 2) : 2);
        E(a, OP_RETV);
        as_end(a);
        as_cmethod(a, c, method, sig, f);
    }
    return a;
}

Test(link_class, errors_name_the_class_and_the_rule)
{
    holt_vm *vm = vm_new(0);
    link_fails_v(vm, one_class("Lb.Nope;", NULL, NULL, NULL), "link: module b: class C: unknown base class Lb.Nope;",
                 false);
    link_fails_v(vm, one_class("Lb.Shape;", NULL, NULL, NULL), "link: module b: class C: base Shape is an interface",
                 false);
    link_fails_v(vm, one_class(NULL, "Lb.Shape;", NULL, NULL), "link: module b: class C does not implement Shape.area",
                 false);
    link_fails_v(vm, one_class(NULL, "Lb.Shape;", "area", "()I"),
                 "link: module b: class C implements Shape.area with another signature (()I, expected ()F)", false);
    link_fails_v(vm, one_class("Lb.Base;", NULL, "area", "()I"),
                 "link: module b: class C: method area()I overrides area()F with another signature", false);
    link_fails_v(vm, one_class(NULL, "Lb.Base;", NULL, NULL), "link: module b: class C: class Base is not an interface",
                 false);
    /* A failed link leaves every class it defined undefined again. */
    cr_assert_not(rt_type_get(vm, rt_type_intern(vm, "Lb.Base;"))->defined);
    /* Correct, it links; NEW of an interface does not. */
    as_t *a = one_class("Lb.Base;", "Lb.Shape;", "area", "()F");
    vm_module *m = link_v(vm, a, false);
    cr_assert_eq(rt_type_get(vm, rt_type_intern(vm, "Lb.C;"))->vtable[0], fn_named(m, "C.m"));
    as_t *n = as_new("n", "n.holt");
    as_main(n);
    E(n, OP_NEW, as_type(n, "Lb.Shape;"));
    E(n, OP_POP);
    E(n, OP_RET);
    as_end(n);
    link_fails_v(vm, n, "link: module n: function <main>, at 0: NEW of interface Shape", false);
    vm_free(vm);
}

/* ---- across modules: overrides, generic instances, to_str, errors ------------------------------------ */

/* Module "lib": class Base { v: int  get() -> int = 1  to_str() -> str = "Base!" }; call_get(b)
 * calls get virtually. Module "app": class Derived : lib.Base { get() -> int = 2 }, and a
 * generic instance Box<int> that both modules define alike. */
static as_t *lib_mod(bool box_field_int)
{
    as_t *a = as_new("lib", "lib.holt");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t g = as_fn(a, "Base.get", "(Llib.Base;)I", 1, "Llib.Base;");
    E(a, OP_IIMM, 1);
    E(a, OP_RETV);
    as_end(a);
    uint16_t ts = as_fn(a, "Base.to_str", "(Llib.Base;)S", 1, "Llib.Base;");
    E(a, OP_KSTR, as_str(a, "Base!"));
    E(a, OP_RETV);
    as_end(a);
    int b = as_class(a, "Llib.Base;", 0, NULL);
    as_cfield(a, b, "v", "I");
    as_cmethod(a, b, "get", "()I", g);
    as_cmethod(a, b, "to_str", "()S", ts);
    int box = as_class(a, "Lcommon.Box<int>;", 0, NULL);
    as_cfield(a, box, "item", box_field_int ? "I" : "S");
    as_fn(a, "call_get", "(Llib.Base;)I", 1, "Llib.Base;");
    E(a, OP_LOAD, 0);
    E(a, OP_CALLVT, as_methodk(a, "Llib.Base;", "get", "()I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "make", "()Llib.Base;", 0, "");
    E(a, OP_NEW, as_type(a, "Llib.Base;"));
    E(a, OP_RETV);
    as_end(a);
    return a;
}

static as_t *app_mod(void)
{
    as_t *a = as_new("app", "app.holt");
    as_mod(a, "lib");
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    uint16_t g = as_fn(a, "Derived.get", "(Lapp.Derived;)I", 1, "Lapp.Derived;");
    E(a, OP_IIMM, 2);
    E(a, OP_RETV);
    as_end(a);
    int d = as_class(a, "Lapp.Derived;", 0, "Llib.Base;");
    as_cfield(a, d, "w", "I");
    as_cmethod(a, d, "get", "()I", g);
    int box = as_class(a, "Lcommon.Box<int>;", 0, NULL);
    as_cfield(a, box, "item", "I");
    as_fn(a, "make", "()Lapp.Derived;", 0, "");
    E(a, OP_NEW, as_type(a, "Lapp.Derived;"));
    E(a, OP_DUP);
    E(a, OP_IIMM, 9);
    E(a, OP_SETF, as_fieldk(a, "Lapp.Derived;", "v", "I"));
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "boxed", "()I", 0, "");
    E(a, OP_NEW, as_type(a, "Lcommon.Box<int>;"));
    E(a, OP_DUP);
    E(a, OP_IIMM, 4);
    E(a, OP_SETF, as_fieldk(a, "Lcommon.Box<int>;", "item", "I"));
    E(a, OP_GETF, as_fieldk(a, "Lcommon.Box<int>;", "item", "I"));
    E(a, OP_RETV);
    as_end(a);
    return a;
}

BOTH(overrides_across_modules_and_generic_instances)
{
    holt_vm *vm = vm_new(sw);
    vm_module *lib = link_v(vm, lib_mod(true), VERIFY);
    rt_typeid box = rt_type_intern(vm, "Lcommon.Box<int>;");
    const void *first = rt_type_get(vm, box)->field_names;
    vm_module *app = link_env(vm, app_mod());
    cr_assert_eq(rt_type_get(vm, box)->field_names, first, "the first definition is kept");
    cr_assert_str_eq(rt_type_get(vm, box)->name, "Box<int>");
    gaddr d = call_ok(vm, app, "make", NULL);
    cr_assert_eq(call_ok(vm, lib, "call_get", &d), 2, "lib's virtual call reaches app's override");
    gaddr b = call_ok(vm, lib, "make", NULL);
    cr_assert_eq(call_ok(vm, lib, "call_get", &b), 1);
    cr_assert_eq(call_ok(vm, app, "boxed", NULL), 4);
    /* to_str is inherited and str() calls it, inside containers too */
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        char *s = str_of(vm, rt_tostr(vm, d, RT_T_ANY));
        cr_assert_str_eq(s, "Base!");
        free(s);
        gaddr list = rt_list_new(vm, rt_type_intern(vm, "[Llib.Base;"), 2);
        rt_list_push(vm, list, d);
        rt_list_push(vm, list, 0);
        s = str_of(vm, rt_tostr(vm, list, rt_type_intern(vm, "[Llib.Base;")));
        cr_assert_str_eq(s, "[Base!, null]");
        free(s);
        gaddr e = rt_alloc(vm, rt_err_type(vm, RT_E_KeyError), 24);
        s = str_of(vm, rt_tostr(vm, e, RT_T_ANY));
        cr_assert_str_eq(s, "<KeyError>");
        free(s);
    } else {
        cr_assert_fail("threw");
    }
    vm->catcher = c.prev;
    vm_free(vm);
}

Test(link_class, a_generic_instance_defined_differently_is_refused)
{
    holt_vm *vm = vm_new(0);
    link_v(vm, lib_mod(false), VERIFY);
    link_fails_v(vm, app_mod(), "link: module app: class Box<int> is already defined differently", false);
    cr_assert_not(rt_type_get(vm, rt_type_intern(vm, "Lapp.Derived;"))->defined);
    vm_free(vm);
}

/* An error thrown by Holt code that a native called back (rt_call_value) reaches the
 * native's catcher with rt_rethrow, its first trace intact, and the VM is back to the frames
 * it had. */
BOTH(errors_cross_a_call_back_with_their_trace)
{
    holt_vm *vm = vm_new(sw);
    as_t *a = mod_t();
    uint16_t thrower = as_fn(a, "boom", "(I)I", 1, "I");
    as_line(a, 3);
    E(a, OP_LOAD, 0);
    E(a, OP_IIMM, 0);
    E(a, OP_IDIV);
    E(a, OP_RETV);
    as_end(a);
    as_fn(a, "get", "()(I)I", 0, "");
    E(a, OP_CLOSURE, thrower, 0);
    E(a, OP_RETV);
    as_end(a);
    vm_module *m = link_v(vm, a, VERIFY);
    gaddr f = call_ok(vm, m, "get", NULL);
    vm->trace_done = false;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    volatile bool threw = false;
    if (setjmp(c.jb) == 0) {
        uint64_t arg = 5;
        rt_call_value(vm, f, &arg, 1);
    } else {
        threw = true;
    }
    vm->catcher = c.prev;
    cr_assert(threw);
    cr_assert_eq(c.status, RT_THROWN);
    check_error(vm, RT_E_ArithmeticError, "division by zero");
    cr_assert_str_eq(vm->trace.data, "  at boom (t.holt:3)\n");
    char *t = trace_of(vm, vm->exc);
    cr_assert_str_eq(t, "  at boom (t.holt:3)\n");
    free(t);
    cr_assert_eq(vm->nframes, 0);
    cr_assert_eq(vm->call_depth, 0);
    vm_free(vm);
}
