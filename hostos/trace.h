/* trace.h — the machine's event trace (--trace, --trace-out): Chrome Trace Event Format JSON,
 * which Perfetto (ui.perfetto.dev) and chrome://tracing open.
 *
 * The machine reports events through one optional callback, hmachine.trace, so a machine
 * that is not traced pays one predictable branch at each reporting point and nothing else.
 * The reporting points, the events and their arguments (a[0..3]):
 *
 *   EVENT              REPORTED BY                       ARGUMENTS
 *   HM_TRACE_FAULT     the fault handler, on entry       addr, access (hm_access), kind
 *                                                        (hm_fault_kind), the mode of
 *                                                        the access (hm_mode)
 *   HM_TRACE_TRAP      trap_call, before the handler     trap_nr, a0, a1, a2
 *   HM_TRACE_TLB       the TLB miss path, every          none: a sample point
 *                      HM_TRACE_TLB_EVERY misses
 *   HM_TRACE_GC_BEGIN  the collector, as it starts       none
 *   HM_TRACE_GC_END    the collector, as it ends         bytes live after it
 *
 * The file is one JSON object {"traceEvents": [...], "displayTimeUnit": "ns"} written as the
 * events happen, through a stdio buffer: memory stays bounded however long the run. Faults
 * and traps are instant events ("ph": "i"), a collection is a B/E pair, and at every TLB
 * sample, after every collection and at both ends of the run the tracer writes counter
 * events ("ph": "C") for resident frames and for the TLB hit rate since the previous sample.
 * Timestamps ("ts") are microseconds since the trace was opened.
 */
#ifndef HOLT_TRACE_H
#define HOLT_TRACE_H

#include <stdint.h>

#include "holt.h"
#include "machine.h"

#define TRACE_EVENTS(X)                                                                       \
    X(FAULT, HOLT_TRACE_FAULTS)   /* a page fault */                                         \
    X(TRAP, HOLT_TRACE_TRAPS)     /* a trap into the supervisor */                           \
    X(TLB, HOLT_TRACE_TLB)        /* a periodic sample of the TLB and the frames */          \
    X(GC_BEGIN, HOLT_TRACE_GC)    /* a collection starts */                                  \
    X(GC_END, HOLT_TRACE_GC)      /* a collection ends */

typedef enum {
#define TRACE_ENUM_(NAME, cat) HM_TRACE_##NAME,
    TRACE_EVENTS(TRACE_ENUM_)
#undef TRACE_ENUM_
    HM_TRACE__COUNT
} hm_trace_event;

/* The TLB miss path reports a sample once per this many misses (a power of two). */
#define HM_TRACE_TLB_EVERY 4096u

/* Report an event: one branch when the machine is not traced. args may be NULL for events
 * without arguments. */
static inline void hm_trace(hmachine *m, hm_trace_event ev, const uint64_t *args)
{
    if (__builtin_expect(m->trace != NULL, 0))
        m->trace(m, (int)ev, args);
}

/* Start tracing the events in mask (0 = all) to a new file at path (truncated). Returns 0, or
 * a negative errno when the file cannot be created (the machine is then not traced). */
int trace_open(hmachine *m, const char *path, unsigned mask);

/* Write the closing counters and the end of the JSON, close the file and stop tracing.
 * Returns 0, or a negative errno when any write failed (the file is then incomplete). A
 * machine that is not traced returns 0. */
int trace_close(hmachine *m);

#endif
