/* holt.h — embedding Holt.
 *
 * One header, no global state: every call takes the holt_vm it acts on, two VMs in one process
 * are independent, and a VM may be driven from any one thread at a time. A script cannot crash
 * its host: bad source, bad bytecode and bad behaviour all come back as an error status and a
 * message, within the memory limit the host set.
 *
 * Exit statuses (language.md 13): HOLT_OK 0 · HOLT_ERROR 1 (an uncaught error in the program)
 * · HOLT_BAD_INPUT 2 (a compile, load or verification error, or bad usage). A program that
 * calls os.exit(n) makes the run return n.
 */
#ifndef HOLT_H
#define HOLT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOLT_VERSION_STRING "0.1.0"
#define HOLT_STD_VERSION 1          /* version of the standard modules bytecode refers to */

enum { HOLT_OK = 0, HOLT_ERROR = 1, HOLT_BAD_INPUT = 2 };

typedef struct holt_vm holt_vm;

/* Where the VM's output goes. fd is 1 (the program's stdout) or 2 (diagnostics and uncaught
 * errors). Returns the bytes written or a negative errno. The default writes to the process's
 * file descriptors. */
typedef long (*holt_write_fn)(void *ctx, int fd, const char *bytes, size_t len);
/* Where input() reads from: up to cap bytes into buf; 0 at end of input. Default: fd 0. */
typedef long (*holt_read_fn)(void *ctx, char *buf, size_t cap);

typedef struct holt_config {
    uint64_t mem_bytes;             /* physical memory (frames); 0 = 256 MiB */
    uint64_t heap_bytes;            /* the heap's virtual size limit; 0 = 4 x mem_bytes */
    uint32_t tlb_entries;           /* TLB entries, a power of two; 0 (with tlb_ways 0) = 256 */
    uint32_t tlb_ways;              /* TLB ways per set, a power of two; 0 = 4 */
    int tlb_off;                    /* no TLB: every guest access walks the page tables */
    int swap_policy;                /* page replacement: 0 default (clock), 1 fifo, 2 clock,
                                       3 lru */
    uint32_t stack_slots;           /* value-stack slots (locals + operands); 0 = 1 Mi */
    uint32_t max_frames;            /* call depth before StackOverflowError; 0 = 200,000 */
    int force_switch;               /* interpreter: use the switch dispatch, not computed goto */
    int allow_env;                  /* os.env may read the environment */
    int gc_stress;                  /* collect at every allocating instruction (testing) */
    holt_write_fn write;            /* NULL = process stdout/stderr */
    holt_read_fn read;              /* NULL = process stdin */
    void *io_ctx;                   /* passed to write and read */
    /* Observing the machine (docs/machine.md). trace_out names a file that receives a Chrome
     * Trace Event Format JSON of the events in trace_mask (HOLT_TRACE_* bits; 0 = all) while
     * a program runs; NULL = no trace. supervisor names a Holt module whose on_page_fault and
     * on_trap functions see faults on the program's range and traps before the built-in
     * handlers; NULL = none. */
    const char *trace_out;
    unsigned trace_mask;
    const char *supervisor;
} holt_config;

/* The kinds of trace event, once: X(NAME, "name as --trace spells it"). */
#define HOLT_TRACE_KINDS(X)                                                                   \
    X(FAULTS, "faults")             /* every page fault: address, access, kind */             \
    X(TRAPS, "traps")               /* every trap: its name and first arguments */            \
    X(TLB, "tlb")                   /* TLB hit rate and resident pages, every 4096 misses */  \
    X(GC, "gc")                     /* each collection as a span, with live bytes after */
enum {
#define HOLT_TRACE_BIT_(NAME, name) HOLT_TRACE_BIT_##NAME,
    HOLT_TRACE_KINDS(HOLT_TRACE_BIT_)
#undef HOLT_TRACE_BIT_
    HOLT_TRACE__COUNT
};
enum {
#define HOLT_TRACE_FLAG_(NAME, name) HOLT_TRACE_##NAME = 1u << HOLT_TRACE_BIT_##NAME,
    HOLT_TRACE_KINDS(HOLT_TRACE_FLAG_)
#undef HOLT_TRACE_FLAG_
    HOLT_TRACE_ALL = (1u << HOLT_TRACE__COUNT) - 1
};

/* Fill a configuration with the defaults. */
void holt_config_init(holt_config *cfg);

/* A new VM, or NULL when cfg is invalid or the host is out of memory. cfg may be NULL. */
holt_vm *holt_new(const holt_config *cfg);
void holt_free(holt_vm *vm);

/* Run a program: a .holt source file (compiled with its imports first) or a .hbc file. argv
 * holds the program's own arguments (os.args). Returns the exit status; diagnostics and
 * uncaught errors are written to fd 2 through the write hook. One run per VM. */
int holt_run_file(holt_vm *vm, const char *path, int argc, char **argv);

/* Compile a source file and the user modules it imports into one deployable .hbc file.
 * Returns HOLT_OK or HOLT_BAD_INPUT (diagnostics written to fd 2). */
int holt_build_file(holt_vm *vm, const char *src_path, const char *out_path);

/* Load and verify a .hbc file (or compile a .holt file) without running it. HOLT_OK when
 * every module verifies; else HOLT_BAD_INPUT with the reason on fd 2. */
int holt_verify_file(holt_vm *vm, const char *path);

/* Disassemble a .hbc or .holt file to fd 1: functions, instructions with offsets, source
 * lines and constant values. */
int holt_dis_file(holt_vm *vm, const char *path);

/* Print the counters of the last run (language.md 14) to fd 2 as a table. */
void holt_print_stats(holt_vm *vm);

const char *holt_version(void);

#ifdef __cplusplus
}
#endif
#endif
