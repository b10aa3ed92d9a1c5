/* gcroots.c — the collector's roots in the vm layer (vm.h: vm_collect). Owned by the
 * collector's work in issue 3; until the collector lands a collection only resets the
 * allocation budget. */
#include "vm.h"

void vm_collect(holt_vm *vm)
{
    vm->heap.since_gc = 0;
}
