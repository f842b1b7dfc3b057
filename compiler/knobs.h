#ifndef MYOGEN_KNOBS_H
#define MYOGEN_KNOBS_H
#include <stddef.h>

/* Implementation knobs a kernel family's plan reads from the templates'
 * KNOBS table (myo: TC channels per tile of the level-sum path, TL lanes per
 * group of the solve paths).  Set by `myogen tune` per variant and by
 * `myogen --wisdom`; an empty set means the plan's deterministic defaults.
 * Text form: "TC=16" or "TC=16,TL=8" ("-" for the empty set). */
#define KNOBS_MAX 4
#define KNOB_NAME_LEN 8

typedef struct {
    int n;
    char name[KNOBS_MAX][KNOB_NAME_LEN];
    long long value[KNOBS_MAX];
} knob_set;

/* Parses the text form (names: an upper-case letter then upper-case letters
 * or digits; values: positive decimal integers).  Returns 0, or -1 with a
 * one-line message in err. */
int knobs_parse(const char *text, knob_set *k, char *err, size_t errlen);

/* Writes the text form ("-" when empty) into buf. */
void knobs_format(const knob_set *k, char *buf, size_t len);

/* Sets (adds or replaces) one knob; -1 when the set is full. */
int knobs_set(knob_set *k, const char *name, long long value);

#endif
