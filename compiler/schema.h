#ifndef MYOGEN_SCHEMA_H
#define MYOGEN_SCHEMA_H
#include <stddef.h>
#include <lua.h>
#include "spec.h"

/* Validates the spec table on top of L's stack against the contract
 * (DESIGN.md sections 3 and 6) and what this version implements; fills
 * out.  Returns 0, or -1 with "field 'x': ..." in err (no file name). */
int schema_validate(lua_State *L, spec *out, char *err, size_t errlen);

/* Is key a field whose value is a list of strings (passes)?  -D key=value
 * makes a single value a list of one for these. */
int schema_is_list_of_strings(const char *key);

#endif
