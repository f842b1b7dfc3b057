/* `myogen wisdom`: list, merge and prune wisdom files (FFTW's lessons: one
 * file for every spec a program uses, kept by tools rather than by hand). */
#include "wisdom_cli.h"

#include <stdio.h>
#include <string.h>

#include "message.h"
#include "wisdom.h"

static const char wisdom_usage[] =
    "usage: myogen wisdom list FILE...                  one line per record\n"
    "       myogen wisdom merge -o OUT FILE...          the records of every FILE in OUT; a\n"
    "                                                   later record replaces an earlier one\n"
    "                                                   of the same key (myogen, machine,\n"
    "                                                   compiler, spec)\n"
    "       myogen wisdom prune FILE [-o OUT]           keep only the records of this machine\n"
    "                                                   (and GPU records) and myogen version\n"
    "                                                   (OUT: default FILE)\n"
    "A wisdom file holds the records myogen tune wrote (README.md, \"Tuning\").\n"
    "Exit status: 0 success, 2 bad input (one line on stderr, nothing written).\n";

static wisdom recs[WISDOM_MAX_RECORDS], file_recs[WISDOM_MAX_RECORDS];

static int fail(const char *fmt, const char *a)
{
    char line[1200];
    snprintf(line, sizeof line, fmt, a);
    message_print(line);
    return 2;
}

static int list(int nfiles, char **files)
{
    char err[1200];
    for (int f = 0; f < nfiles; f++) {
        int n;
        if (wisdom_read_all(files[f], file_recs, WISDOM_MAX_RECORDS, &n, err, sizeof err) != 0)
            return fail("%s", err);
        for (int i = 0; i < n; i++) {
            const wisdom *w = &file_recs[i];
            printf("%s: spec %s | tuned seq_len=%lld | best arity=%d depth=%d | %d entries | "
                   "cpu %s | isa %s | compiler %s | myogen %s\n",
                   files[f], w->spec, w->seq_len, w->best_arity, w->best_depth, w->n,
                   w->machine.cpu, w->machine.isa, w->compiler, w->myogen);
        }
    }
    return 0;
}

/* The records of the files in order into recs, a later one replacing an
 * earlier one of the same key; their count, or -1 (a message printed). */
static int gather(int nfiles, char **files)
{
    char err[1200];
    int total = 0;
    for (int f = 0; f < nfiles; f++) {
        int n;
        if (wisdom_read_all(files[f], file_recs, WISDOM_MAX_RECORDS, &n, err, sizeof err) != 0) {
            fail("%s", err);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            int at = 0;
            while (at < total && !wisdom_same_key(&recs[at], &file_recs[i]))
                at++;
            if (at == WISDOM_MAX_RECORDS) {
                snprintf(err, sizeof err, "wisdom merge: more than %d records",
                         WISDOM_MAX_RECORDS);
                fail("%s", err);
                return -1;
            }
            recs[at] = file_recs[i];
            if (at == total)
                total++;
        }
    }
    return total;
}

static int write_out(const char *out, int n)
{
    char err[1200];
    if (n == 0)
        return fail("wisdom %s: no record left to write (nothing written)", out);
    if (wisdom_write_all(out, recs, n, err, sizeof err) != 0)
        return fail("%s", err);
    return 0;
}

static int prune(const char *file, const char *out)
{
    machine_id m;
    int n = gather(1, (char **)&file), kept = 0;
    if (n < 0)
        return 2;
    machine_id_get(&m);
    for (int i = 0; i < n; i++)
        if (((strcmp(recs[i].machine.cpu, m.cpu) == 0 && strcmp(recs[i].machine.isa, m.isa) == 0) ||
             wisdom_gpu_record(recs[i].machine.isa)) && /* GPU records: their device's */
            strcmp(recs[i].myogen, MYOGEN_VERSION) == 0)
            recs[kept++] = recs[i];
    int rc = write_out(out, kept);
    if (rc == 0)
        printf("wisdom %s: kept %d of %d records\n", out, kept, n);
    return rc;
}

int wisdom_main(int argc, char **argv)
{
    const char *out = NULL;
    char *files[WISDOM_MAX_RECORDS];
    int nfiles = 0;
    if (argc < 2)
        return fail("wisdom: expected list, merge or prune%s (try myogen wisdom --help)", "");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(wisdom_usage, stdout);
        return 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "list") != 0 && strcmp(cmd, "merge") != 0 && strcmp(cmd, "prune") != 0)
        return fail("wisdom: unknown command '%s': expected list, merge or prune", cmd);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && strcmp(cmd, "list") != 0) {
            if (i + 1 == argc || out)
                return fail("wisdom %s: -o takes one file, once", cmd);
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return fail("wisdom: unknown option '%s' (try myogen wisdom --help)", argv[i]);
        } else if (nfiles == WISDOM_MAX_RECORDS) {
            return fail("wisdom: more than 64 files%s", "");
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (nfiles == 0)
        return fail("wisdom %s: expected a wisdom file", cmd);
    if (strcmp(cmd, "list") == 0)
        return list(nfiles, files);
    if (strcmp(cmd, "merge") == 0) {
        if (!out)
            return fail("wisdom merge: -o OUT is required%s", "");
        int n = gather(nfiles, files);
        return n < 0 ? 2 : write_out(out, n);
    }
    if (nfiles != 1)
        return fail("wisdom prune: expected one file, then -o OUT if not in place%s", "");
    return prune(files[0], out ? out : files[0]);
}
