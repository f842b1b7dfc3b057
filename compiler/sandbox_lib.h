#ifndef MYOGEN_SANDBOX_LIB_H
#define MYOGEN_SANDBOX_LIB_H
#include <stddef.h>
#include <lua.h>

/* The budget of one sandboxed spec run: the allocator's user data.  Every
 * limit is counted in units that do not depend on the machine or its load,
 * so a spec's fate is the same in every run. */
typedef struct {
    size_t used;       /* bytes allocated */
    size_t allocated;  /* bytes ever asked for (growth), in all */
    int over_total;    /* an allocation was refused for the total */
    long instructions; /* Lua instructions, plus the work of C library loops */
} sandbox_budget;

#define SANDBOX_MEMORY_LIMIT (64u << 20)
/* The bytes a spec may allocate in all: a concatenation is one instruction
 * however many bytes it copies, so a loop growing a string within the
 * memory and instruction limits could copy terabytes (quadratic); this
 * bounds that work deterministically. */
#define SANDBOX_ALLOCATION_LIMIT (1024u << 20)
#define SANDBOX_INSTRUCTION_LIMIT 20000000L

/* Charges n units of work to the budget of L's allocator; raises the
 * instruction-limit error once it is spent. */
void sandbox_charge(lua_State *L, long n);

/* Replaces, in the table at env (and in the shared string and table
 * libraries), every function whose result or cost depends on the process
 * rather than on the spec: pairs/next iterate in sorted key order (not hash
 * order, which Lua seeds per process), table.sort is a stable merge sort (Lua's
 * picks random pivots), tostring and string.format print no addresses, and
 * the C loops of string.rep, table.insert and table.remove are charged.
 * Reading a global or library function the sandbox leaves out (io, os,
 * require, string.find, ...) raises "'io' is not available in specs (why)". */
void sandbox_lib_install(lua_State *L, int env);

#endif
