#ifndef MYOGEN_WISDOM_CLI_H
#define MYOGEN_WISDOM_CLI_H

/* `myogen wisdom ...` (argv[0] is "wisdom"): list, merge, prune.  Returns
 * the exit status. */
int wisdom_main(int argc, char **argv);

#endif
