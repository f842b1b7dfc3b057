/* One-line, terminal-safe messages (see message.h). */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s that is not a C1 control,
 * or 0. */
static int utf8_printable(const unsigned char *s)
{
    int n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (s[0] > 0xf4)
        n = 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F */
        return 0;
    if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
        (n == 4 && s[0] == 0xf4 && s[1] >= 0x90) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0))
        return 0; /* overlong, beyond U+10FFFF, surrogates */
    return n;
}

void message_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p++ = ' ';
        } else if (*p < 0x20 || *p == 0x7f) {
            *p++ = '?';
        } else if (*p < 0x80) {
            p++;
        } else {
            int n = utf8_printable(p);
            if (n == 0)
                *p++ = '?';
            else
                p += n;
        }
    }
}

void message_print(const char *msg)
{
    size_t n = strlen(msg);
    char *copy = malloc(n + 1);
    if (!copy) {
        fputs("myogen: out of memory\n", stderr);
        return;
    }
    memcpy(copy, msg, n + 1);
    message_sanitize(copy);
    fprintf(stderr, "myogen: %s\n", copy);
    free(copy);
}
