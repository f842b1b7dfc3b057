/* myogen_cl: the OpenCL host runtime of myogen's OpenCL kernels.
 *
 * One vendorable pair, myogen_cl.c + myogen_cl.h (`myogen --emit-runtime DIR`
 * writes them): build it with the generated NAME.c files, C99, and link
 * -lOpenCL (and -pthread where the C library needs it for pthread mutexes).
 * It chooses the default device, keeps one context and in-order queue for
 * it, builds programs once (with a binary cache), and launches kernels for
 * the generated code.  Nothing in it prints unless asked (see Messages).
 *
 * Return codes, shared with the generated functions:
 *   0  MYOGEN_CL_OK
 *   1  MYOGEN_CL_EINVAL    invalid argument (NULL where a buffer is needed,
 *                          zero batch/channels, a device buffer too small)
 *   2  MYOGEN_CL_ENUMERIC  numerical failure (a zero or non-finite pivot)
 *   3  MYOGEN_CL_EOPENCL   OpenCL failed: no platform or device, a program
 *                          that does not build (the build log is in the
 *                          message), out of device or host memory, a failed
 *                          enqueue or transfer.  myogen_cl_last_error() has
 *                          the message, naming the OpenCL call and error.
 *
 * Environment (read once, when the default device is first needed, or when
 * a program is first built):
 *   MYOGEN_CL_DEVICE   which device is the default:
 *                        "P:D"    device D of platform P (indices as clinfo
 *                                 lists them, from 0; all device types)
 *                        "gpu", "cpu", "accelerator": the first such device
 *                        anything else: the first device whose name, or
 *                                 whose platform's name, contains it
 *                                 (case-insensitive), e.g. "nvidia", "pthread"
 *                      unset: the first GPU of the first platform that has
 *                      one, else the first device.  A value that matches no
 *                      device is an error (3), not a fallback.
 *   MYOGEN_CL_CACHE    a directory for compiled program binaries, keyed by a
 *                      hash of (source, build options, device name, device
 *                      and driver versions, platform); created if missing.
 *                      Unset: binaries are cached in memory only.  A stale
 *                      or unreadable entry is rebuilt from source.
 *   MYOGEN_CL_LOCAL_SIZE  work-group size of the launches (default 64).
 *   MYOGEN_CL_OPTIONS  build options appended to every program's own (a
 *                      compiler's tuning flags, e.g. NVIDIA's
 *                      "-cl-nv-maxrregcount=128"); part of the cache key.
 *   MYOGEN_CL_VERBOSE  if set (and no log callback is installed), messages
 *                      go to stderr.
 *   MYOGEN_CL_PROFILE  if set (and not "0"): every launch waits for its
 *                      kernel and its time is added to its name's total;
 *                      at exit a table (ms, calls, us/call, %, kernel) goes
 *                      to stderr, heaviest first.  Times are the device's
 *                      (event timestamps; the default queue is then created
 *                      with profiling on), or host wall time around the
 *                      wait on a queue without profiling.
 *
 * Thread safety: every function may be called from any thread; the
 * default context, queue and the program cache are created once under a
 * lock.  OpenCL objects handed out (context, queue, programs) belong to the
 * runtime: do not release them. */
#ifndef MYOGEN_CL_H
#define MYOGEN_CL_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#ifndef CL_USE_DEPRECATED_OPENCL_1_2_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#endif
#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MYOGEN_CL_OK 0
#define MYOGEN_CL_EINVAL 1
#define MYOGEN_CL_ENUMERIC 2
#define MYOGEN_CL_EOPENCL 3

/* ---- Devices ------------------------------------------------------------ */

/* The default device, its context and in-order queue, created on first use
 * (any output pointer may be NULL).  Returns 0 or 3. */
int myogen_cl_default(cl_context *context, cl_device_id *device, cl_command_queue *queue);

/* 1 when a default device can be had (it is then created), else 0. */
int myogen_cl_available(void);

/* The default device's "platform name: device name" into buf (at most len
 * bytes, terminated); returns 0 or 3. */
int myogen_cl_device_name(char *buf, size_t len);

/* The default device's driver version (CL_DRIVER_VERSION) into buf, as
 * above: myogen tune's records name it beside the device. */
int myogen_cl_device_driver(char *buf, size_t len);

/* With MYOGEN_CL_PROFILE set: the device seconds of every launch so far,
 * summed (what its exit table adds up); 0 without it.  myogen tune times
 * GPU variants by it (their kernels, not the host's transfers). */
double myogen_cl_profile_seconds(void);

/* Releases the default context and queue and every cached program.  Call
 * it only when no other thread uses the runtime (e.g. at exit); the next
 * call creates them again. */
void myogen_cl_shutdown(void);

/* ---- Messages ------------------------------------------------------------ */

/* Receives every error message (one call per failure; build logs included).
 * NULL restores the default: silent, unless MYOGEN_CL_VERBOSE is set. */
typedef void (*myogen_cl_log_fn)(void *user, const char *message);
void myogen_cl_set_log(myogen_cl_log_fn fn, void *user);

/* The last error message of any thread ("" if none) into buf (at most len
 * bytes, terminated); returns its full length. */
size_t myogen_cl_last_error(char *buf, size_t len);

/* The name of an OpenCL error code, e.g. "CL_OUT_OF_RESOURCES". */
const char *myogen_cl_strerror(cl_int err);

/* ---- Programs and launches (used by the generated code) ------------------ */

/* The program of `nlines` source strings for the device of `queue`, built
 * with `options`, from the cache when it was built before (in memory for
 * this context; as a binary for this device from memory or MYOGEN_CL_CACHE).
 * `label` names the program in messages.  A build failure returns 3 with
 * the build log in the message.  The program belongs to the cache. */
int myogen_cl_program(cl_command_queue queue, const char *const *lines, size_t nlines,
                      const char *options, const char *label, cl_program *program);

/* One kernel argument: its size and a pointer to its value. */
typedef struct {
    size_t size;
    const void *value;
} myogen_cl_arg;
#define MYOGEN_CL_ARG(x) { sizeof(x), &(x) }

/* Enqueues kernel `name` of `program` over `items` work-items (1-D; the
 * global size is rounded up to the work-group size, the kernels ignore
 * work-items past the end).  Returns 0 or 3. */
int myogen_cl_launch(cl_command_queue queue, cl_program program, const char *name,
                     size_t items, size_t nargs, const myogen_cl_arg *args);

/* Enqueues kernel `name` as `groups` work-groups of exactly `group_size`
 * work-items (kernels that tile through local memory and declare
 * reqd_work_group_size).  Returns 0, 1 (the sizes overflow) or 3. */
int myogen_cl_launch_groups(cl_command_queue queue, cl_program program, const char *name,
                            size_t groups, size_t group_size, size_t nargs,
                            const myogen_cl_arg *args);

/* The status word at the start of a workspace buffer: cleared before the
 * kernels of a call, read back (blocking) after them: 0, 2 (a kernel found
 * a bad pivot) or 3. */
int myogen_cl_status_begin(cl_command_queue queue, cl_mem workspace);
int myogen_cl_status_end(cl_command_queue queue, cl_mem workspace);

/* 0 when `buffer` is a buffer of at least `bytes` bytes, else 1. */
int myogen_cl_check(cl_mem buffer, size_t bytes);

/* Device buffers for the host-pointer entry points: a read-only copy of
 * host memory (NULL host or 0 bytes: *buffer = NULL), a read-write buffer,
 * a blocking read back, a release (NULL is ignored).  0 or 3. */
int myogen_cl_upload(cl_context context, const void *host, size_t bytes, cl_mem *buffer);
int myogen_cl_alloc(cl_context context, size_t bytes, cl_mem *buffer);
int myogen_cl_download(cl_command_queue queue, cl_mem buffer, void *host, size_t bytes);
void myogen_cl_free(cl_mem buffer);

#ifdef __cplusplus
}
#endif

#endif /* MYOGEN_CL_H */
