#define _POSIX_C_SOURCE 200809L
#include "myogen_buffer.h"

#include <stdlib.h>
#include <string.h>

void *myogen_buffer_alloc(size_t bytes)
{
    size_t n = (bytes + MYOGEN_ALIGN - 1) / MYOGEN_ALIGN * MYOGEN_ALIGN;
    void *p = NULL;
    if (n == 0)
        n = MYOGEN_ALIGN;
    if (n < bytes || posix_memalign(&p, MYOGEN_ALIGN, n) != 0)
        return NULL;
    memset(p, 0, n);
    return p;
}

void myogen_buffer_free(void *p)
{
    free(p);
}
