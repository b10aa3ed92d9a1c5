/* bc_asm.c — the unit tests' bytecode assembler and interpreter harness (see bc_asm.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bare_vm.h"
#include "bc_asm.h"

/* ---- the assembler ------------------------------------------------------------------------- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    memcpy(p, s, n);
    return p;
}

as_t *as_new(const char *name, const char *path)
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

as_t *as_module(const char *name, const char *path)
{
    as_t *a = as_new(name, path);
    as_main(a);
    E(a, OP_RET);
    as_end(a);
    return a;
}

as_t *mod_t(void) { return as_module("t", "t.holt"); }

uint16_t as_const(as_t *a, bc_const c)
{
    if (a->m->nconsts == a->kcap) {
        a->kcap *= 2;
        a->m->consts = realloc(a->m->consts, a->kcap * sizeof *a->m->consts);
    }
    a->m->consts[a->m->nconsts] = c;
    return (uint16_t)a->m->nconsts++;
}

uint16_t as_str(as_t *a, const char *s)
{
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_STR && strcmp(a->m->consts[i].u.s.bytes, s) == 0)
            return (uint16_t)i;
    bc_const c = {.tag = BC_K_STR};
    c.u.s.len = (uint32_t)strlen(s);
    c.u.s.bytes = dup_str(s);
    return as_const(a, c);
}

uint16_t as_bytes(as_t *a, const char *s, uint32_t len)
{
    bc_const c = {.tag = BC_K_STR};
    c.u.s.len = len;
    c.u.s.bytes = malloc(len + 1);
    memcpy(c.u.s.bytes, s, len);
    c.u.s.bytes[len] = 0;
    return as_const(a, c);
}

uint16_t as_type(as_t *a, const char *desc)
{
    uint16_t s = as_str(a, desc);
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_TYPE && a->m->consts[i].u.desc == s)
            return (uint16_t)i;
    return as_const(a, (bc_const){.tag = BC_K_TYPE, .u.desc = s});
}

uint16_t as_int(as_t *a, int64_t v) { return as_const(a, (bc_const){.tag = BC_K_INT, .u.i = v}); }
uint16_t as_flt(as_t *a, double v) { return as_const(a, (bc_const){.tag = BC_K_FLOAT, .u.f = v}); }

uint16_t as_mod(as_t *a, const char *name)
{
    uint16_t s = as_str(a, name);
    for (uint32_t i = 1; i < a->m->nconsts; i++)
        if (a->m->consts[i].tag == BC_K_MODULE && a->m->consts[i].u.mod.name == s)
            return (uint16_t)i;
    bc_const c = {.tag = BC_K_MODULE};
    c.u.mod.name = s;
    return as_const(a, c);
}

/* A reference constant whose first field is `owner` (a MODULE or a class TYPE). */
static uint16_t ref_const(as_t *a, int tag, uint16_t owner, const char *name, const char *desc)
{
    bc_const c = {.tag = (uint8_t)tag};
    c.u.ref.module = owner;
    c.u.ref.name = as_str(a, name);
    c.u.ref.type = as_type(a, desc);
    return as_const(a, c);
}

uint16_t as_ref(as_t *a, int tag, const char *mod, const char *name, const char *desc)
{
    return ref_const(a, tag, mod ? as_mod(a, mod) : 0, name, desc);
}

uint16_t as_member(as_t *a, int tag, const char *cls, const char *name, const char *desc)
{
    return ref_const(a, tag, as_type(a, cls), name, desc);
}

uint16_t as_global(as_t *a, const char *name, const char *desc, uint16_t flags)
{
    bc_module *m = a->m;
    m->globals = realloc(m->globals, (m->nglobals + 1) * sizeof *m->globals);
    m->globals[m->nglobals] = (bc_global){as_str(a, name), as_type(a, desc), flags};
    return m->nglobals++;
}

uint16_t as_fn(as_t *a, const char *name, const char *desc, uint16_t nparams, const char *locals)
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

uint16_t as_main(as_t *a)
{
    a->m->main = (uint16_t)a->m->nfuncs;
    return as_fn(a, "<main>", "()V", 0, "");
}

void as_line(as_t *a, uint32_t line) { a->line = line; }

int as_label(as_t *a)
{
    cr_assert_lt(a->nlabels, AS_MAX_LABELS);
    a->label_at[a->nlabels] = UINT32_MAX;
    return a->nlabels++;
}

void as_bind(as_t *a, int label) { a->label_at[label] = (uint32_t)a->code.len; }

void as_emit(as_t *a, int op, int64_t x, int64_t y, ...)
{
    uint32_t pc = (uint32_t)a->code.len;
    if (!a->nlines || a->lines[a->nlines - 1].line != a->line) {
        a->lines = realloc(a->lines, (a->nlines + 1) * sizeof *a->lines);
        a->lines[a->nlines++] = (bc_line){pc, a->line};
    }
    buf_u8(&a->code, (uint8_t)op);
    int64_t vals[2] = {x, y};
    int n = 0;
    for (const char *o = bc_ops[op].operands; *o; o++) {
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

void as_end(as_t *a)
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

bc_module *as_done(as_t *a)
{
    cr_assert_eq(a->cur, -1, "as_done inside a function");
    bc_module *m = a->m;
    buf_free(&a->code);
    free(a);
    return m;
}

/* ---- objects in the assembler -------------------------------------------------------------- */

int as_class(as_t *a, const char *desc, uint16_t flags, const char *super)
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

void as_cfield(as_t *a, int ci, const char *name, const char *desc)
{
    bc_class *c = &a->m->classes[ci];
    c->fields = realloc(c->fields, (c->nfields + 1) * sizeof *c->fields);
    c->fields[c->nfields++] = (bc_field){as_str(a, name), as_type(a, desc)};
}

void as_cmethod(as_t *a, int ci, const char *name, const char *sig, uint16_t func)
{
    bc_class *c = &a->m->classes[ci];
    c->methods = realloc(c->methods, (c->nmethods + 1) * sizeof *c->methods);
    c->methods[c->nmethods++] = (bc_method){as_str(a, name), as_type(a, sig), func};
}

void as_ciface(as_t *a, int ci, const char *desc)
{
    bc_class *c = &a->m->classes[ci];
    c->ifaces = realloc(c->ifaces, (c->nifaces + 1) * sizeof *c->ifaces);
    c->ifaces[c->nifaces++] = as_type(a, desc);
}

void as_handler(as_t *a, uint16_t fi, int from, int to, int at, const char *type)
{
    bc_function *f = &a->m->funcs[fi];
    f->handlers = realloc(f->handlers, (f->nhandlers + 1) * sizeof *f->handlers);
    f->handlers[f->nhandlers++] = (bc_handler){a->label_at[from], a->label_at[to], a->label_at[at],
                                               type ? as_type(a, type) : 0};
}

/* ---- a VM for tests ------------------------------------------------------------------------ */

static int64_t capture_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    captured *c = ctx;
    char *tmp = malloc(a[2] + 1);
    hm_read(m, a[1], tmp, a[2]);
    buf_put(a[0] == 2 ? &c->err : &c->out, tmp, a[2]);
    free(tmp);
    return (int64_t)a[2];
}

holt_vm *vm_new_cfg(int sw, uint32_t stack_slots, uint32_t max_frames)
{
    holt_vm *vm = bare_vm_new((holt_config){
        .mem_bytes = 64u << 20, .stack_slots = stack_slots, .max_frames = max_frames, .force_switch = sw});
    captured *c = calloc(1, sizeof *c);
    buf_init(&c->out);
    buf_init(&c->err);
    trap_set(&vm->m, TRAP_WRITE, capture_write, c);
    return vm;
}

holt_vm *vm_new(int sw) { return vm_new_cfg(sw, 1u << 16, 10000); }

captured *vm_captured(holt_vm *vm) { return vm->m.traps[TRAP_WRITE].ctx; }

const char *vm_out(holt_vm *vm)
{
    rt_out_flush(vm);
    captured *c = vm_captured(vm);
    return c->out.data ? c->out.data : "";
}

void vm_free(holt_vm *vm)
{
    captured *c = vm_captured(vm);
    holt_free(vm);
    buf_free(&c->out);
    buf_free(&c->err);
    free(c);
}

/* Link a module, verified first when `verify` (with env when not NULL); it must link. */
static vm_module *link_checked(holt_vm *vm, as_t *a, bool verify, const verify_env *env)
{
    holt_buf err;
    buf_init(&err);
    bc_module *bm = as_done(a);
    if (verify) {
        int rc = env ? verify_module_env(bm, env, &err) : verify_module(bm, &err);
        cr_assert_eq(rc, 0, "verify failed: %s", err.data ? err.data : "");
    }
    vm_module *m = link_module(vm, bm, &err);
    cr_assert(m, "link failed: %s", err.data ? err.data : "");
    buf_free(&err);
    return m;
}

vm_module *link_v(holt_vm *vm, as_t *a, bool verify) { return link_checked(vm, a, verify, NULL); }
vm_module *link_ok(holt_vm *vm, as_t *a) { return link_checked(vm, a, true, NULL); }
vm_module *link_with_env(holt_vm *vm, as_t *a, const verify_env *env) { return link_checked(vm, a, true, env); }

void link_fails_v(holt_vm *vm, as_t *a, const char *msg, bool verify)
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

void link_fails(holt_vm *vm, as_t *a, const char *msg) { link_fails_v(vm, a, msg, true); }

vm_function *fn_named(vm_module *m, const char *name)
{
    for (uint16_t i = 0; i < m->bc->nfuncs; i++)
        if (strcmp(m->funcs[i].name, name) == 0)
            return &m->funcs[i];
    cr_assert_fail("no function %s", name);
    return NULL;
}

uint64_t call_ok(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args)
{
    uint64_t r = 0xdeadbeef;
    int st = interp_call(vm, fn_named(m, name), args, &r);
    if (st == RT_THROWN) {
        char *text = str_of(vm, rt_err_message(vm, vm->exc));
        cr_assert_fail("%s threw: %s (switch=%d)", name, text ? text : "?", vm->cfg.force_switch);
    }
    cr_assert_eq(st, RT_OK, "%s: status %d", name, st);
    cr_assert_eq(vm->nframes, 0);
    return r;
}

void check_error(holt_vm *vm, rt_err kind, const char *msg)
{
    cr_assert_neq(vm->exc, 0);
    cr_assert_eq(rt_obj_type(vm, vm->exc), rt_err_type(vm, kind), "error class: expected %s, found %s (switch=%d)",
                 rt_type_get(vm, rt_err_type(vm, kind))->name, rt_type_get(vm, rt_obj_type(vm, vm->exc))->name,
                 vm->cfg.force_switch);
    char *text = str_of(vm, rt_err_message(vm, vm->exc));
    cr_assert_str_eq(text ? text : "", msg);
    free(text);
}

void call_throws(holt_vm *vm, vm_module *m, const char *name, const uint64_t *args, rt_err kind, const char *msg)
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

char *str_of(holt_vm *vm, gaddr s) { return s ? rt_str_dup(vm, s, NULL) : NULL; }
