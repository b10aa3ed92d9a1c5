/* codegen.h — from a checked module to bytecode (bytecode.h, opcodes.def).
 *
 * Output is deterministic: the same tree gives the same bytes (constants are numbered in
 * order of first use and deduplicated; nothing depends on addresses or hash order). Every
 * function gets an exact max_stack and a line table; every local gets its declared type.
 */
#ifndef HOLT_CODEGEN_H
#define HOLT_CODEGEN_H

#include "bytecode.h"
#include "compile.h"

/* Generate the module; never fails on a tree that checked without errors. */
bc_module *cg_module(compiler *c, cmodule *m);

#endif
