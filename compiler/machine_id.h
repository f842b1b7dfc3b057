#ifndef MYOGEN_MACHINE_ID_H
#define MYOGEN_MACHINE_ID_H
#include <stddef.h>

/* What a wisdom file is keyed by on the machine side (the compiler is
 * cc.h's): the CPU model and the vector ISA flags it reports. */
typedef struct {
    char cpu[256]; /* e.g. "Intel(R) Xeon(R) Processor (family 6, model 167)" */
    char isa[256]; /* the flags of interest it has, fixed order, e.g. "sse4_2 avx avx2 fma avx512f" */
} machine_id;

/* From /proc/cpuinfo (x86: model name, family, model and flags; AArch64:
 * implementer, part and features); "unknown" where it is not readable. */
void machine_id_get(machine_id *m);

#endif
