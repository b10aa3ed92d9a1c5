/* api.c — include/holt.h: the embedding API, and the one place that drives the whole pipeline
 * (compile or read, verify, link, run). It sits on top of every layer: the compiler for source
 * files, vm/ for loading and running, runtime/ and hostos/ for the machine.
 *
 * Loading a program: the entry module and the user modules it brought along come from one
 * bundle (a compiled source tree or a .hbc file); standard modules are referred to by name and
 * version and compiled from the sources embedded in libholt. Every module is linked only
 * after every module it refers to, so linking never sees a dangling reference, and verified
 * after them too, just before it is linked: the classes of other modules it uses are then
 * run-time types, which answer the verifier's subtype questions (loader_is_subtype).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "holt.h"
#include "supervisor.h"
#include "trace.h"
#include "vm.h"

#define DEFAULT_MEM (256ull << 20)
#define DEFAULT_STACK_SLOTS (1u << 20)
#define DEFAULT_MAX_FRAMES 200000u

/* ---- host-side output (diagnostics of the toolchain, not program I/O) --------------------- */

static void host_write(holt_vm *vm, int fd, const char *p, size_t n)
{
    if (vm->cfg.write) {
        vm->cfg.write(vm->cfg.io_ctx, fd, p, n);
        return;
    }
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void host_printf(holt_vm *vm, int fd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void host_printf(holt_vm *vm, int fd, const char *fmt, ...)
{
    holt_buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    host_write(vm, fd, b.data, b.len);
    buf_free(&b);
}

/* ---- traps routed to the embedder's hooks -------------------------------------------------- */

/* The WRITE trap when the embedder gave a write hook: copy the guest bytes out and hand them
 * over. Only the program's stdout and stderr exist. */
static int64_t hook_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    holt_vm *vm = ctx;
    if (a[0] != 1 && a[0] != 2)
        return -EBADF;
    uint64_t n = a[2];
    char *tmp = xmalloc(n ? n : 1);
    hm_read(m, a[1], tmp, n);
    long w = vm->cfg.write(vm->cfg.io_ctx, (int)a[0], tmp, n);
    free(tmp);
    return w;
}

static int64_t hook_read(hmachine *m, void *ctx, const uint64_t a[4])
{
    holt_vm *vm = ctx;
    if (a[0] != 0)
        return -EBADF;
    uint64_t n = a[2];
    char *tmp = xmalloc(n ? n : 1);
    long r = vm->cfg.read(vm->cfg.io_ctx, tmp, n);
    if (r > 0)
        hm_write(m, a[1], tmp, (uint64_t)r);
    free(tmp);
    return r;
}

/* ---- VM lifetime --------------------------------------------------------------------------- */

void holt_config_init(holt_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mem_bytes = DEFAULT_MEM;
    cfg->stack_slots = DEFAULT_STACK_SLOTS;
    cfg->max_frames = DEFAULT_MAX_FRAMES;
}

holt_vm *holt_new(const holt_config *cfg)
{
    holt_vm *vm = calloc(1, sizeof *vm);
    if (!vm)
        return NULL;
    if (cfg)
        vm->cfg = *cfg;
    else
        holt_config_init(&vm->cfg);
    if (!vm->cfg.mem_bytes)
        vm->cfg.mem_bytes = DEFAULT_MEM;
    if (!vm->cfg.stack_slots)
        vm->cfg.stack_slots = DEFAULT_STACK_SLOTS;
    if (!vm->cfg.max_frames)
        vm->cfg.max_frames = DEFAULT_MAX_FRAMES;
    buf_init(&vm->trace);
    hm_config mc = {.mem_bytes = vm->cfg.mem_bytes,
                    .heap_bytes = vm->cfg.heap_bytes,
                    .tlb_entries = vm->cfg.tlb_entries,
                    .tlb_ways = vm->cfg.tlb_ways,
                    .tlb_off = vm->cfg.tlb_off != 0,
                    .policy = (hm_policy)vm->cfg.swap_policy};
    if (hm_init(&vm->m, &mc) < 0)
        goto err_free;
    if (vm->cfg.write)
        trap_set(&vm->m, TRAP_WRITE, hook_write, vm);
    if (vm->cfg.read)
        trap_set(&vm->m, TRAP_READ, hook_read, vm);
    if (rt_init(vm) < 0)
        goto err_machine;
    /* Natives call back into Holt through the interpreter. */
    vm->call_hook = interp_call;
    return vm;

err_machine:
    hm_destroy(&vm->m);
err_free:
    free(vm);
    return NULL;
}

void holt_free(holt_vm *vm)
{
    if (!vm)
        return;
    for (uint32_t i = 0; i < vm->nmodules; i++)
        vm_module_free(vm->modules[i]);
    free(vm->modules);
    free(vm->stack);
    free(vm->frames);
    free(vm->fntab);
    buf_free(&vm->trace);
    supervisor_remove(vm);
    trace_close(&vm->m);
    rt_destroy(vm);
    hm_destroy(&vm->m);
    free(vm);
}

const char *holt_version(void) { return HOLT_VERSION_STRING; }

/* ---- reading programs ---------------------------------------------------------------------- */

static bool read_file(holt_vm *vm, const char *path, uint8_t **data, size_t *len)
{
    *data = (uint8_t *)buf_read_file(path, len);
    if (!*data)
        host_printf(vm, 2, "holt: cannot read '%s': %s\n", path, strerror(errno));
    return *data != NULL;
}

static bool is_bytecode(const uint8_t *data, size_t len)
{
    return len >= 4 && memcmp(data, "HOLT", 4) == 0;
}

/* The program at `path` as a bundle: a .hbc image read as is, or a source tree compiled. On
 * failure the reason has been written to fd 2. */
static bc_bundle *load_bundle(holt_vm *vm, const char *path)
{
    uint8_t *data;
    size_t len;
    if (!read_file(vm, path, &data, &len))
        return NULL;
    holt_buf msg;
    buf_init(&msg);
    bc_bundle *b;
    if (is_bytecode(data, len)) {
        b = bc_read(data, len, &msg);
        if (!b)
            host_printf(vm, 2, "holt: %s: %s\n", path, msg.data ? msg.data : "bad .hbc file");
    } else {
        compiler *c = compiler_new(&msg);
        b = compile_program(c, path);
        compiler_free(c);
        if (msg.len)
            host_write(vm, 2, msg.data, msg.len);
    }
    free(data);
    buf_free(&msg);
    return b;
}

/* ---- verifying and linking ----------------------------------------------------------------- */

typedef struct {
    holt_vm *vm;
    bc_bundle *bundle;            /* user modules; entries are taken (set to NULL) when linked */
    uint8_t *state;               /* per bundle module: 0 new, 1 linking, 2 linked */
    holt_buf err;                 /* the first failure */
} loader;

static vm_module *load_module(loader *ld, bc_module *m);

/* Bring in the module a MODULE constant names: a standard module by name and version, or a
 * user module from the bundle. */
static vm_module *load_dependency(loader *ld, const bc_module *from, const bc_const *k)
{
    const char *name = bc_str(from, k->u.mod.name);
    if (!name) {
        buf_printf(&ld->err, "load: module %s: bad module constant", from->name);
        return NULL;
    }
    vm_module *done = vm_find_module(ld->vm, name);
    if (done)
        return done;
    if (k->u.mod.version != 0) {
        if (k->u.mod.version != HOLT_STD_VERSION) {
            buf_printf(&ld->err, "load: module %s needs standard module %s version %u; this VM has version %u",
                       from->name, name, k->u.mod.version, HOLT_STD_VERSION);
            return NULL;
        }
        holt_buf diag;
        buf_init(&diag);
        compiler *c = compiler_new(&diag);
        bc_module *std = compile_std(c, name);
        compiler_free(c);
        if (!std) {
            buf_printf(&ld->err, "load: module %s imports '%s', which is not a standard module%s%s", from->name, name,
                       diag.len ? ":\n" : "", diag.len ? diag.data : "");
            buf_free(&diag);
            return NULL;
        }
        buf_free(&diag);
        return load_module(ld, std);
    }
    for (uint32_t i = 0; i < ld->bundle->nmodules; i++) {
        bc_module *um = ld->bundle->modules[i];
        if (ld->state[i] == 1 && um && strcmp(um->name, name) == 0) {
            buf_printf(&ld->err, "load: module %s: import cycle through module %s", from->name, name);
            return NULL;
        }
        if (ld->state[i] == 0 && um && strcmp(um->name, name) == 0) {
            ld->state[i] = 1;
            vm_module *vmm = load_module(ld, um);
            ld->state[i] = 2;
            if (vmm)
                ld->bundle->modules[i] = NULL; /* owned by the VM now */
            return vmm;
        }
    }
    buf_printf(&ld->err, "load: module %s imports '%s', which is not in the program", from->name, name);
    return NULL;
}

/* The verifier's question about classes of other modules, answered from the run-time types
 * their modules registered when they were linked. */
static bool loader_is_subtype(void *ctx, const char *sub, const char *super)
{
    holt_vm *vm = ctx;
    if (strcmp(sub, super) == 0)
        return true;
    rt_typeid a = rt_type_intern(vm, sub), b = rt_type_intern(vm, super);
    return a && b && rt_type_is(vm, a, b);
}

/* Load everything m refers to, verify m, then link it. Takes ownership of m. */
static vm_module *load_module(loader *ld, bc_module *m)
{
    bool owned_by_bundle = false;
    for (uint32_t i = 0; i < ld->bundle->nmodules; i++)
        owned_by_bundle |= ld->bundle->modules[i] == m;
    for (uint32_t k = 1; k < m->nconsts; k++) {
        const bc_const *c = &m->consts[k];
        if (c->tag != BC_K_MODULE)
            continue;
        const char *name = bc_str(m, c->u.mod.name);
        if (name && strcmp(name, m->name) == 0)
            continue; /* a module may name itself */
        if (!load_dependency(ld, m, c))
            goto err;
    }
    verify_env env = {.ctx = ld->vm, .is_subtype = loader_is_subtype};
    if (verify_module_env(m, &env, &ld->err) < 0)
        goto err;
    vm_module *vmm = link_module(ld->vm, m, &ld->err);
    if (!vmm)
        goto err;
    return vmm;

err:
    if (!owned_by_bundle)
        bc_module_free(m);
    return NULL;
}

/* Load the whole program; the entry module on success. */
static vm_module *load_program(holt_vm *vm, bc_bundle *b, holt_buf *err)
{
    if (b->nmodules == 0) {
        buf_puts(err, "load: the program has no modules");
        return NULL;
    }
    loader ld = {vm, b, xcalloc(b->nmodules, 1), {0}};
    buf_init(&ld.err);
    vm_module *entry = NULL;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        ld.state[0] = 1;
        entry = load_module(&ld, b->modules[0]);
        ld.state[0] = 2;
        if (entry)
            b->modules[0] = NULL;
    } else {
        /* Linking allocates guest strings; the only error it can meet is a full memory. */
        buf_printf(&ld.err, "load: out of guest memory while linking");
        entry = NULL;
    }
    vm->catcher = c.prev;
    if (!entry)
        buf_put(err, ld.err.data ? ld.err.data : "load failed", ld.err.data ? ld.err.len : 11);
    buf_free(&ld.err);
    free(ld.state);
    return entry;
}

/* ---- running ------------------------------------------------------------------------------- */

/* "error: Class: message" with the class's source name, then the trace of the error's first
 * throw: its `$trace`, or the host copy when that could not be stored (a full memory). */
static void report_uncaught(holt_vm *vm)
{
    rt_out_flush(vm);
    gaddr exc = vm->exc;
    const rt_type *t = rt_type_get(vm, rt_obj_type(vm, exc));
    gaddr msg = rt_err_message(vm, exc);
    char *text = msg ? rt_str_dup(vm, msg, NULL) : NULL;
    host_printf(vm, 2, "error: %s: %s\n", t && t->name ? t->name : "Error", text ? text : "");
    free(text);
    bool is_error = exc && exc != vm->heap.oom &&
                    rt_type_is(vm, rt_obj_type(vm, exc), rt_err_type(vm, RT_E_Error));
    gaddr trace = is_error ? hm_ld64(&vm->m, exc + 16) : 0;
    if (trace) {
        uint64_t len = 0;
        char *tt = rt_str_dup(vm, trace, &len);
        host_write(vm, 2, tt, len);
        free(tt);
    } else if (vm->trace.len) {
        host_write(vm, 2, vm->trace.data, vm->trace.len);
    }
}

/* Load the supervisor module (holt_config.supervisor) into the VM that holds the program, run
 * its top level and install its functions. HOLT_OK, HOLT_BAD_INPUT (it does not load, its name
 * is taken, or it defines no supervisor function: the reason on fd 2), or how its top level
 * ended when that was not normally. */
static int load_supervisor(holt_vm *vm, const char *path)
{
    bc_bundle *b = load_bundle(vm, path);
    if (!b)
        return HOLT_BAD_INPUT;
    /* The supervisor's modules and the program's share one namespace; a module of the same
     * name would silently stand for the other. */
    for (uint32_t i = 0; i < b->nmodules; i++)
        if (vm_find_module(vm, b->modules[i]->name)) {
            host_printf(vm, 2, "holt: %s: supervisor module %s has the name of a module of the program\n", path,
                        b->modules[i]->name);
            bc_bundle_free(b);
            return HOLT_BAD_INPUT;
        }
    holt_buf err;
    buf_init(&err);
    vm_module *mod = load_program(vm, b, &err);
    bc_bundle_free(b);
    int status = HOLT_OK;
    if (!mod) {
        host_printf(vm, 2, "holt: %s: %s\n", path, err.data);
        status = HOLT_BAD_INPUT;
        goto out;
    }
    switch (interp_run_module(vm, mod)) {
    case RT_OK:
        break;
    case RT_EXITED:
        status = vm->m.exit_status;
        goto out;
    default:
        report_uncaught(vm);
        status = HOLT_ERROR;
        goto out;
    }
    buf_reset(&err);
    if (supervisor_install(vm, mod, &err) < 0) {
        host_printf(vm, 2, "holt: %s: %s\n", path, err.data);
        status = HOLT_BAD_INPUT;
    }
out:
    buf_free(&err);
    return status;
}

int holt_run_file(holt_vm *vm, const char *path, int argc, char **argv)
{
    vm->argc = argc;
    vm->argv = argv;
    bc_bundle *b = load_bundle(vm, path);
    if (!b)
        return HOLT_BAD_INPUT;
    holt_buf err;
    buf_init(&err);
    vm_module *entry = load_program(vm, b, &err);
    bc_bundle_free(b);
    if (!entry) {
        host_printf(vm, 2, "holt: %s: %s\n", path, err.data);
        buf_free(&err);
        return HOLT_BAD_INPUT;
    }
    buf_free(&err);

    if (vm->cfg.trace_out) {
        int rc = trace_open(&vm->m, vm->cfg.trace_out, vm->cfg.trace_mask);
        if (rc < 0) {
            host_printf(vm, 2, "holt: cannot write the trace to '%s': %s\n", vm->cfg.trace_out, strerror(-rc));
            return HOLT_BAD_INPUT;
        }
    }
    int status;
    if (vm->cfg.supervisor && (status = load_supervisor(vm, vm->cfg.supervisor)) != HOLT_OK)
        goto out;
    switch (interp_run_module(vm, entry)) {
    case RT_OK:
        status = HOLT_OK;
        break;
    case RT_EXITED:
        status = vm->m.exit_status;
        break;
    default:
        report_uncaught(vm);
        status = HOLT_ERROR;
        break;
    }
out:
    /* Flushing may itself fail (a closed pipe); the status already says how the program
     * ended, so that is not reported. */
    vm__flush_quietly(vm);
    if (vm->cfg.trace_out) {
        int rc = trace_close(&vm->m);
        if (rc < 0)
            host_printf(vm, 2, "holt: the trace '%s' is incomplete: %s\n", vm->cfg.trace_out, strerror(-rc));
    }
    return status;
}

/* ---- building, verifying, disassembling ---------------------------------------------------- */

int holt_build_file(holt_vm *vm, const char *src_path, const char *out_path)
{
    bc_bundle *b = load_bundle(vm, src_path);
    if (!b)
        return HOLT_BAD_INPUT;
    holt_buf err, out;
    buf_init(&err);
    buf_init(&out);
    int status = HOLT_OK;
    /* What we write must load anywhere: check it as the loader will (dependencies linked
     * first, then each module verified and linked), after taking the bytes, since loading
     * takes the modules over. */
    bc_write(b, &out);
    if (!load_program(vm, b, &err)) {
        host_printf(vm, 2, "holt: %s: %s\n", src_path, err.data);
        status = HOLT_BAD_INPUT;
        goto out;
    }
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0) {
        host_printf(vm, 2, "holt: cannot write '%s': %s\n", out_path, strerror(errno));
        if (f)
            fclose(f);
        remove(out_path);
        status = HOLT_BAD_INPUT;
    }
out:
    buf_free(&err);
    buf_free(&out);
    bc_bundle_free(b);
    return status;
}

int holt_verify_file(holt_vm *vm, const char *path)
{
    bc_bundle *b = load_bundle(vm, path);
    if (!b)
        return HOLT_BAD_INPUT;
    holt_buf err;
    buf_init(&err);
    uint32_t n = b->nmodules;
    vm_module *entry = load_program(vm, b, &err);
    bc_bundle_free(b);
    int status = HOLT_OK;
    if (!entry) {
        host_printf(vm, 2, "holt: %s: %s\n", path, err.data);
        status = HOLT_BAD_INPUT;
    } else {
        host_printf(vm, 1, "%s: ok (%u module%s verified and linked, %u standard)\n", path, n, n == 1 ? "" : "s",
                    vm->nmodules - n);
    }
    buf_free(&err);
    return status;
}

int holt_dis_file(holt_vm *vm, const char *path)
{
    bc_bundle *b = load_bundle(vm, path);
    if (!b)
        return HOLT_BAD_INPUT;
    holt_buf out;
    buf_init(&out);
    for (uint32_t i = 0; i < b->nmodules; i++) {
        if (i)
            buf_putc(&out, '\n');
        dis_module(b->modules[i], &out);
    }
    host_write(vm, 1, out.data ? out.data : "", out.len);
    buf_free(&out);
    bc_bundle_free(b);
    return HOLT_OK;
}

/* ---- --stats ------------------------------------------------------------------------------ */

/* The stats table: name/value cells laid out two to a line, row by row, so the order reads
 * left to right, top to bottom, and each line fits in 80 columns. */
#define STATS_NAME 22
#define STATS_VALUE 15

typedef struct {
    holt_buf *b;
    unsigned col;                 /* cells on the current line */
} stats_table;

static void stats_rule(stats_table *t, const char *title)
{
    if (t->col)
        buf_putc(t->b, '\n');
    t->col = 0;
    buf_printf(t->b, "-- %s ", title);
    for (size_t n = strlen(title) + 4; n < 2 * (STATS_NAME + STATS_VALUE) + 2; n++)
        buf_putc(t->b, '-');
    buf_putc(t->b, '\n');
}

static void stats_cell(stats_table *t, const char *name, const char *value)
{
    buf_printf(t->b, "%s%-*s%*s", t->col ? "  " : "", STATS_NAME, name, STATS_VALUE, value);
    if (++t->col == 2) {
        buf_putc(t->b, '\n');
        t->col = 0;
    }
}

static void stats_count(stats_table *t, const char *name, uint64_t v)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    stats_cell(t, name, text);
}

static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void holt_print_stats(holt_vm *vm)
{
    const uint64_t *st = vm->m.stats;
    holt_buf b;
    buf_init(&b);
    stats_table t = {&b, 0};
    stats_rule(&t, "holt stats");
    for (int i = 0; i < HM_STAT__COUNT; i++)
        stats_count(&t, hm_stat_names[i], st[i]);

    stats_rule(&t, "derived");
    char text[32];
    uint64_t lookups = st[HM_STAT_tlb_hits] + st[HM_STAT_tlb_misses];
    if (lookups)
        snprintf(text, sizeof text, "%.2f%%", 100.0 * (double)st[HM_STAT_tlb_hits] / (double)lookups);
    else
        snprintf(text, sizeof text, "-");
    stats_cell(&t, "tlb_hit_rate", text);
    stats_count(&t, "frames_used", hm_frames_used(&vm->m));
    stats_count(&t, "frames_total", hm_frames_total(&vm->m));
    stats_count(&t, "page_size", HM_PAGE_SIZE);

    /* The two fault kinds of language.md 14, and what served the not-present ones: a zeroed
     * frame, a page read back from swap, or nothing the machine had (the fault went to a
     * handler, or became a MemoryFault). Faults a --supervisor handled count in neither. */
    stats_rule(&t, "faults by kind");
    stats_count(&t, "not-present", minus(st[HM_STAT_page_faults], st[HM_STAT_faults_protection]));
    stats_count(&t, "protection", st[HM_STAT_faults_protection]);
    stats_count(&t, "  demand-zero", st[HM_STAT_faults_demand_zero]);
    stats_count(&t, "  swap", st[HM_STAT_faults_swap]);
    stats_count(&t, "  unmapped", st[HM_STAT_faults_unmapped]);

    stats_rule(&t, "traps by kind");
    for (int i = 0; i < TRAP__COUNT; i++)
        stats_count(&t, trap_names[i], vm->m.trap_counts[i]);
    if (t.col)
        buf_putc(&b, '\n');
    host_write(vm, 2, b.data, b.len);
    buf_free(&b);
}
