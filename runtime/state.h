/* state.h — the whole state of one VM. Nothing in Holt is global: every layer reaches its own
 * part of the VM through this struct, which is passed as the first argument everywhere. */
#ifndef HOLT_STATE_H
#define HOLT_STATE_H

#include "holt.h"
#include "machine.h"
#include "rt.h"

struct vm_frame;
struct vm_module;

struct holt_vm {
    hmachine m;                   /* the machine: guest memory, traps, counters */
    holt_config cfg;              /* as given to holt_new, defaults filled in */

    /* runtime */
    rt_types types;               /* run-time type table */
    rt_typeid err_types[RT_E__COUNT]; /* built-in error classes */
    rt_heap heap;                 /* the allocator */
    rt_catch *catcher;            /* innermost protected region */
    gaddr exc;                    /* the error being thrown (valid at a catch site) */
    holt_buf trace;               /* "  at f (file:line)\n" lines of the error being thrown */
    bool trace_done;              /* trace already captured for vm->exc */
    gaddr outbuf;                 /* guest buffer of stdout bytes not yet written */
    uint32_t outlen;              /* bytes waiting in outbuf */
    gaddr inbuf;                  /* guest buffer of stdin bytes read ahead */
    uint32_t inpos, inlen;        /* unread bytes are inbuf[inpos..inlen) */
    bool ineof;                   /* stdin reached its end */
    int argc;                     /* program arguments, for os.args */
    char **argv;

    /* interpreter */
    uint64_t *stack;              /* value stack: locals and operands of every frame */
    uint64_t *stack_end;
    struct vm_frame *frames;      /* call frames, frames[0] the outermost */
    uint32_t nframes;             /* frames in use */
    uint32_t max_frames;
    struct vm_module **modules;   /* linked modules, in load order */
    uint32_t nmodules;
    struct vm_function **fntab;   /* every linked function by its id (closures store ids) */
    uint32_t nfntab, fntab_cap;
    /* calling back into Holt from natives: set by the vm layer (rt.h rt_call_value) */
    int (*call_hook)(holt_vm *vm, struct vm_function *fn, const uint64_t *args, uint64_t *result);
    /* the name of function `id` of fntab ("Rect.area", "<fn>"), for str() of a function
       value; set with call_hook */
    const char *(*fn_name_hook)(holt_vm *vm, uint32_t id);
    uint32_t call_depth;          /* nested interp_call invocations (natives calling back) */
    uintptr_t host_stack_base;    /* the host stack pointer at the outermost invocation */
    gaddr **roots;                /* temporary roots (rt_root_push), innermost last */
    uint32_t nroots, roots_cap;

    /* the machine module (runtime/lib_machine.c) and the fault hook (error.c) */
    gaddr fault_dispatch;         /* machine._dispatch, the closure that runs machine.on_fault's
                                     handler; 0 until the module loads. A module global holds it
                                     too, which keeps it alive (the collector does not move) */
    uint32_t fault_retries;       /* retries the handler asked for in this machine.load/store */
};

static inline rt_typeid rt_obj_type(holt_vm *vm, gaddr obj) { return hm_ld32(&vm->m, obj); }

#endif
