#ifndef MYOGEN_TEMPLATE_LEXER_H
#define MYOGEN_TEMPLATE_LEXER_H
#include <stddef.h>

/* Template tokens (DESIGN.md section 4). */
typedef enum {
    TOK_TEXT,    /* literal output text (no newline) */
    TOK_EXPR,    /* the Lua expression inside ${ } */
    TOK_STMT,    /* a whole line starting with $: the Lua after the $ */
    TOK_NEWLINE, /* end of a text line */
    TOK_END,
    TOK_ERROR    /* text = the message */
} tok_type;

typedef struct {
    tok_type type;
    const char *text;
    size_t len;
    int line;
} token;

typedef struct {
    const char *cur;   /* the buffer must be NUL-terminated */
    const char *limit; /* points at the terminating NUL */
    int line;
    int at_line_start;
} lexer;

void lexer_init(lexer *lx, const char *text, size_t len);
token lexer_next(lexer *lx);

#endif
