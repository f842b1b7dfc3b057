#ifndef MYOGEN_TIMER_H
#define MYOGEN_TIMER_H
/* Timing for the tuner and benchmarks: a monotonic clock and robust
 * statistics over repeats.  C99 + POSIX clock_gettime. */

/* Seconds from an arbitrary fixed origin (CLOCK_MONOTONIC). */
double myogen_now(void);

/* Median of x[0..n-1] (n >= 1); sorts x in place. */
double myogen_median(double *x, int n);

#endif
