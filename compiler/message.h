#ifndef MYOGEN_MESSAGE_H
#define MYOGEN_MESSAGE_H

/* Makes a message safe to print on one terminal line: tabs and line breaks
 * become spaces, other control bytes (escape sequences: ESC, C1 controls)
 * and bytes that are not UTF-8 become '?'.  In place; never longer. */
void message_sanitize(char *s);

/* Prints "myogen: MSG" sanitized, one line, on stderr. */
void message_print(const char *msg);

#endif
