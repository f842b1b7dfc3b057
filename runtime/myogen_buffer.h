#ifndef MYOGEN_BUFFER_H
#define MYOGEN_BUFFER_H
/* Aligned buffers for kernel arguments and workspaces: DESIGN.md 5 asks for
 * 64-byte aligned workspaces, and the vector kernels load whole lines. */
#include <stddef.h>

#define MYOGEN_ALIGN 64

/* bytes rounded up to whole 64-byte lines, 64-byte aligned, zero-filled;
 * NULL when out of memory.  myogen_buffer_alloc(0) returns a valid line. */
void *myogen_buffer_alloc(size_t bytes);
void myogen_buffer_free(void *p);

#endif
