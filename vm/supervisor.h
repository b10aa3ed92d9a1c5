/* supervisor.h — a supervisor written in Holt (--supervisor kern.holt), for study.
 *
 * A supervisor module may define either or both of
 *
 *     fn on_page_fault(addr: int, access: str, kind: str) -> bool
 *     fn on_trap(name: str, a0: int, a1: int) -> bool
 *
 * They run in supervisor mode (ring 0) before the machine's built-in handlers and decide for
 * each event: true = handled (for a trap the built-in handler is skipped and the trap returns
 * 0; for a fault the access is retried once), false = pass it on to the built-in handler.
 * access is "read" "write" or "exec", kind "not-present" or "protection", name a trap's name
 * from hostos/trap.def.
 *
 * What reaches Holt code, and why:
 * - Only faults on the program's range [HM_USER_BASE, HM_USER_END). A fault on the heap can
 *   happen in the middle of an allocation or inside the collector, where the heap is not in a
 *   state Holt code may run on; the program's range is touched only by the machine module's
 *   own calls, which are safepoints.
 * - Nothing that happens while a supervisor function runs: its own traps and faults go
 *   straight to the built-in handlers, so a supervisor cannot recurse into itself.
 * - No collection runs while a supervisor function runs (the caller of a trap may hold
 *   references the collector cannot see); what the function allocates is collected later.
 * - A supervisor function that throws, or calls os.exit, is reported once on stderr and the
 *   supervisor is switched off for the rest of the run; the event passes on.
 */
#ifndef HOLT_SUPERVISOR_H
#define HOLT_SUPERVISOR_H

#include "buf.h"
#include "vm.h"

/* Install the supervisor functions of `mod`, a linked module whose top level has run. 0, or
 * -1 with a one-line reason in err (neither function defined, or one with the wrong type). */
int supervisor_install(holt_vm *vm, vm_module *mod, holt_buf *err);

/* Put the built-in handlers back and free the supervisor's state. Safe without one. */
void supervisor_remove(holt_vm *vm);

/* Flush the VM's stdout buffer, dropping what cannot be written instead of throwing. The
 * supervisor flushes around each call into Holt, and holt_run_file once the program has ended
 * (api.c); neither has a program to throw to. */
void vm__flush_quietly(holt_vm *vm);

#endif
