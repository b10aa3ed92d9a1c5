/* lib_machine.c — the natives of the standard module `machine` (language.md 14,
 * stdlib/machine.holt): the VM's own hardware, for study.
 *
 * Every operation that changes the machine goes through the trap table, as a program's would
 * on real hardware: map, unmap and protect are system calls; flush_tlb, out and in are
 * privileged instructions, which trap from user mode and are emulated by the supervisor. The
 * natives check their arguments first so that each mistake gets a message naming it; the
 * supervisor checks them again, since an embedder may call the traps directly.
 *
 * load and store reach only the program's own range [HM_USER_BASE, HM_USER_END): the VM's
 * heap lies outside it, and a program that could write there could break the collector's
 * invariants. Inside the range the access goes through the TLB like any other, so it may
 * fault; error.c's fault hook then runs machine.on_fault's handler through the dispatcher
 * this file keeps (vm->fault_dispatch).
 *
 * The serial console. rt_init installs rt_serial_out as the OUT trap's handler: a byte sent to
 * COM1 goes to the program's stdout buffer, the very buffer print fills, so serial output and
 * print output reach the host in the order the program produced them. It is installed with
 * the VM rather than with this module so that whatever wraps the trap table later (a Holt
 * supervisor) finds it there.
 */
#include <errno.h>
#include <stdio.h>

#include "natives_int.h"

/* The serial console's data port (hostos/trap.c tables the emulated ports). */
#define PORT_COM1 0x3F8u
#define PORT_MAX 0xFFFFu
#define BYTE_MAX 0xFFu

/* Pages in the program's whole range: no request can be larger. */
#define USER_PAGES ((HM_USER_END - HM_USER_BASE) >> HM_PAGE_SHIFT)

/* ---- argument checks ------------------------------------------------------------------------ */

/* "r" "rw" "rx" "rwx" as HM_PERM_* bits; anything else is a ValueError. */
static unsigned parse_perm(holt_vm *vm, gaddr s, const char *what)
{
    if (!s)
        rt_throw(vm, RT_E_NullError, "machine.%s() with a null str argument", what);
    static const struct {
        const char *text;           /* the spelling machine.map accepts */
        unsigned bits;              /* its HM_PERM_* set */
    } perms[] = {
        {"r", HM_PERM_R},
        {"rw", HM_PERM_R | HM_PERM_W},
        {"rx", HM_PERM_R | HM_PERM_X},
        {"rwx", HM_PERM_R | HM_PERM_W | HM_PERM_X},
    };
    uint64_t n = hm_ld64(&vm->m, s + RT__STR_LEN);
    char text[4] = {0};
    if (n < sizeof text) {
        hm_read(&vm->m, s + RT__STR_BYTES, text, n);
        for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++)
            if (strlen(perms[i].text) == n && memcmp(perms[i].text, text, n) == 0)
                return perms[i].bits;
    }
    /* No collection runs inside an allocation, so parts[0] survives the second one. */
    char prefix[96];
    snprintf(prefix, sizeof prefix,
             "machine.%s: permissions must be \"r\", \"rw\", \"rx\" or \"rwx\", got ", what);
    gaddr parts[2] = {rt_str_cstr(vm, prefix), 0};
    parts[1] = rt__str_quoted(vm, s);
    rt__throw_str(vm, RT_E_ValueError, rt_str_concatn(vm, parts, 2));
}

/* A page range [addr, addr + pages pages) that must lie in the program's range. addr 0 is
 * allowed where the machine may choose (map). */
static void check_pages(holt_vm *vm, const char *what, int64_t addr, int64_t pages, bool any)
{
    if (pages <= 0)
        rt_throw(vm, RT_E_ValueError, "machine.%s: pages must be positive, got %lld", what,
                 (long long)pages);
    if ((uint64_t)pages > USER_PAGES)
        rt_throw(vm, RT_E_ValueError,
                 "machine.%s: %lld pages do not fit in the program's range (at most %llu)", what,
                 (long long)pages, (unsigned long long)USER_PAGES);
    if (addr == 0 && any)
        return;
    uint64_t a = (uint64_t)addr;
    if (a & (HM_PAGE_SIZE - 1))
        rt_throw(vm, RT_E_ValueError, "machine.%s: address 0x%llx is not page-aligned", what,
                 (unsigned long long)a);
    if (a < HM_USER_BASE || a >= HM_USER_END ||
        (uint64_t)pages > (HM_USER_END - a) >> HM_PAGE_SHIFT)
        rt_throw(vm, RT_E_ValueError,
                 "machine.%s: 0x%llx + %lld pages is outside the program's range [0x%llx, 0x%llx)",
                 what, (unsigned long long)a, (long long)pages,
                 (unsigned long long)HM_USER_BASE, (unsigned long long)HM_USER_END);
}

/* A failed system call of the address space, as the error the program sees. */
static _Noreturn void throw_errno(holt_vm *vm, const char *what, int64_t err, int64_t addr,
                                  int64_t pages)
{
    unsigned long long a = (unsigned long long)addr;
    long long n = (long long)pages;
    switch (err) {
    case -EEXIST:
        rt_throw(vm, RT_E_ValueError, "machine.%s: 0x%llx + %lld pages overlaps a mapping", what,
                 a, n);
    case -ENOENT:
        rt_throw(vm, RT_E_MemoryFault, "machine.%s: 0x%llx + %lld pages is not all mapped", what,
                 a, n);
    case -ENOMEM:
        rt_throw(vm, RT_E_MemoryFault, "machine.%s: no room for %lld pages%s", what, n,
                 addr ? "" : " in the program's range");
    default:
        rt_throw(vm, RT_E_ValueError, "machine.%s: 0x%llx + %lld pages refused (error %lld)", what,
                 a, n, (long long)-err);
    }
}

/* The access [addr, addr + size) of load or store: a size the machine has, inside the
 * program's range. Outside it is the VM's own memory, a protection fault no handler sees. */
static gaddr check_access(holt_vm *vm, int64_t addr, int64_t size, hm_access access)
{
    const char *what = access == HM_WRITE ? "store" : "load";
    if (size != 1 && size != 2 && size != 4 && size != 8)
        rt_throw(vm, RT_E_ValueError, "machine.%s: size must be 1, 2, 4 or 8, got %lld", what,
                 (long long)size);
    uint64_t a = (uint64_t)addr;
    if (a < HM_USER_BASE || a > HM_USER_END - (uint64_t)size)
        rt_throw(vm, RT_E_MemoryFault, "%s at 0x%llx: protection (outside the program's range)",
                 access == HM_WRITE ? "write" : "read", (unsigned long long)a);
    return a;
}

/* A system call of the address space (map, unmap or protect, named as the trap is) on the
 * page range at args[0] of args[1] pages: the range checked, the trap made, and a refusal
 * thrown as the program's error. What the trap returned. */
static int64_t page_call(holt_vm *vm, trap_nr nr, const uint64_t *args, unsigned perm)
{
    const char *what = trap_names[nr];
    int64_t addr = (int64_t)args[0], pages = (int64_t)args[1];
    check_pages(vm, what, addr, pages, nr == TRAP_MAP);
    int64_t r = trap_call(&vm->m, nr, (uint64_t)addr, (uint64_t)pages, perm, 0);
    if (r < 0)
        throw_errno(vm, what, r, addr, pages);
    return r;
}

/* ---- natives ------------------------------------------------------------------------------- */

/* map and protect parse the permissions before page_call checks the range: a bad permission
 * is the error reported first. */
RT_NATIVE(machine_map)
{
    return (uint64_t)page_call(vm, TRAP_MAP, args, parse_perm(vm, args[2], "map"));
}

RT_NATIVE(machine_unmap)
{
    page_call(vm, TRAP_UNMAP, args, 0);
    return 0;
}

RT_NATIVE(machine_protect)
{
    page_call(vm, TRAP_PROTECT, args, parse_perm(vm, args[2], "protect"));
    return 0;
}

/* Little-endian and zero-extended: the guest is x86-64, and a load of 0xFF is 255. The retry
 * count starts afresh with every access (error.c bounds it). */
RT_NATIVE(machine_load)
{
    gaddr a = check_access(vm, (int64_t)args[0], (int64_t)args[1], HM_READ);
    vm->fault_retries = 0;
    switch (args[1]) {
    case 1:
        return hm_ld8(&vm->m, a);
    case 2:
        return hm_ld16(&vm->m, a);
    case 4:
        return hm_ld32(&vm->m, a);
    default:
        return hm_ld64(&vm->m, a);
    }
}

/* The value's low `size` bytes are stored: store(a, 1, -1) writes 0xFF. */
RT_NATIVE(machine_store)
{
    gaddr a = check_access(vm, (int64_t)args[0], (int64_t)args[1], HM_WRITE);
    uint64_t v = args[2];
    vm->fault_retries = 0;
    switch (args[1]) {
    case 1:
        hm_st8(&vm->m, a, (uint8_t)v);
        break;
    case 2:
        hm_st16(&vm->m, a, (uint16_t)v);
        break;
    case 4:
        hm_st32(&vm->m, a, (uint32_t)v);
        break;
    default:
        hm_st64(&vm->m, a, v);
        break;
    }
    return 0;
}

RT_NATIVE(machine_out)
{
    int64_t port = (int64_t)args[0], value = (int64_t)args[1];
    if (port < 0 || port > PORT_MAX)
        rt_throw(vm, RT_E_ValueError, "machine.out: port must be 0 to 0xffff, got %lld",
                 (long long)port);
    if (value < 0 || value > BYTE_MAX)
        rt_throw(vm, RT_E_ValueError, "machine.out: value must be a byte (0 to 255), got %lld",
                 (long long)value);
    trap_call(&vm->m, TRAP_OUT, (uint64_t)port, (uint64_t)value, 0, 0);
    return 0;
}

RT_NATIVE(machine_in)
{
    int64_t port = (int64_t)args[0];
    if (port < 0 || port > PORT_MAX)
        rt_throw(vm, RT_E_ValueError, "machine.in: port must be 0 to 0xffff, got %lld",
                 (long long)port);
    int64_t r = trap_call(&vm->m, TRAP_IN, (uint64_t)port, 0, 0, 0);
    if (r < 0)
        rt_throw(vm, RT_E_ValueError, "machine.in: port 0x%llx refused", (unsigned long long)port);
    return (uint64_t)r;
}

RT_NATIVE(machine_flush_tlb)
{
    trap_call(&vm->m, TRAP_FLUSH_TLB, 0, 0, 0, 0);
    return 0;
}

RT_NATIVE(machine_page_size)
{
    return HM_PAGE_SIZE;
}

/* The counters of language.md 14, in its order (stats.def has more, for --stats). */
static const hm_stat stat_keys[] = {
    HM_STAT_instructions, HM_STAT_tlb_hits, HM_STAT_tlb_misses, HM_STAT_tlb_flushes,
    HM_STAT_page_walks, HM_STAT_page_faults, HM_STAT_faults_demand_zero,
    HM_STAT_faults_protection, HM_STAT_swap_ins, HM_STAT_swap_outs, HM_STAT_traps,
    HM_STAT_syscalls, HM_STAT_gc_cycles, HM_STAT_jit_compiles,
};
#define NSTAT_KEYS (sizeof stat_keys / sizeof stat_keys[0])

/* The counters are copied before the map is built: building it touches memory and moves the
 * TLB counters. */
RT_NATIVE(machine_stats)
{
    uint64_t snap[NSTAT_KEYS];
    for (size_t i = 0; i < NSTAT_KEYS; i++)
        snap[i] = vm->m.stats[stat_keys[i]];
    rt_typeid mt = ret ? ret : rt_type_intern(vm, "{SI");
    gaddr map = rt_map_new(vm, mt, NSTAT_KEYS);
    for (size_t i = 0; i < NSTAT_KEYS; i++)
        rt_map_set(vm, map, rt_str_cstr(vm, hm_stat_names[stat_keys[i]]), snap[i]);
    return map;
}

/* Other ports ignore writes, as the default handler's do. */
int64_t rt_serial_out(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m;
    holt_vm *vm = ctx;
    if (a[0] > PORT_MAX)
        return -EINVAL;
    if (a[0] == PORT_COM1) {
        char byte = (char)(uint8_t)a[1];
        rt_out_write(vm, 1, &byte, 1);
    }
    return 0;
}

/* Run once, as the module loads: keep the fault dispatcher (a module global holds it too,
 * which is what keeps it alive). */
RT_NATIVE(machine_install)
{
    vm->fault_dispatch = args[0];
    vm->fault_retries = 0;
    return 0;
}
