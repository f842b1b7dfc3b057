/* Knob sets and their text form (see knobs.h). */
#include "knobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int knobs_set(knob_set *k, const char *name, long long value)
{
    for (int i = 0; i < k->n; i++)
        if (strcmp(k->name[i], name) == 0) {
            k->value[i] = value;
            return 0;
        }
    if (k->n == KNOBS_MAX || strlen(name) >= KNOB_NAME_LEN)
        return -1;
    snprintf(k->name[k->n], KNOB_NAME_LEN, "%s", name);
    k->value[k->n++] = value;
    return 0;
}

int knobs_parse(const char *text, knob_set *k, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (strcmp(text, "-") == 0)
        return 0;
    const char *p = text;
    for (;;) {
        char name[KNOB_NAME_LEN];
        size_t n = 0;
        while ((p[n] >= 'A' && p[n] <= 'Z') || (n > 0 && p[n] >= '0' && p[n] <= '9'))
            n++;
        if (n == 0 || n >= KNOB_NAME_LEN || p[n] != '=') {
            snprintf(err, errlen, "knobs \"%s\": expected NAME=VALUE[,NAME=VALUE]...", text);
            return -1;
        }
        memcpy(name, p, n);
        name[n] = 0;
        p += n + 1;
        if (*p < '1' || *p > '9') {
            snprintf(err, errlen, "knobs \"%s\": %s needs a positive integer", text, name);
            return -1;
        }
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (errno || (*end && *end != ',')) {
            snprintf(err, errlen, "knobs \"%s\": %s needs a positive integer", text, name);
            return -1;
        }
        for (int i = 0; i < k->n; i++)
            if (strcmp(k->name[i], name) == 0) {
                snprintf(err, errlen, "knobs \"%s\": %s is given twice", text, name);
                return -1;
            }
        if (knobs_set(k, name, v) != 0) {
            snprintf(err, errlen, "knobs \"%s\": more than %d knobs", text, KNOBS_MAX);
            return -1;
        }
        if (!*end)
            return 0;
        p = end + 1;
    }
}

void knobs_format(const knob_set *k, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    if (k->n == 0) {
        snprintf(buf, len, "-");
        return;
    }
    for (int i = 0; i < k->n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s=%lld", i ? "," : "", k->name[i],
                              k->value[i]);
}
