/* myogen_cl: the OpenCL host runtime of myogen's OpenCL kernels (see
 * myogen_cl.h for the contract).  C99; pthreads or Win32 for the locks. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif
#include "myogen_cl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(_WIN32)
#include <direct.h>
#include <process.h>
#include <windows.h>
typedef SRWLOCK mcl_lock;
#define MCL_LOCK_INIT SRWLOCK_INIT
static void mcl_acquire(mcl_lock *l) { AcquireSRWLockExclusive(l); }
static void mcl_release(mcl_lock *l) { ReleaseSRWLockExclusive(l); }
static int mcl_mkdir(const char *path) { return _mkdir(path); }
static long mcl_pid(void) { return (long)_getpid(); }
#else
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
typedef pthread_mutex_t mcl_lock;
#define MCL_LOCK_INIT PTHREAD_MUTEX_INITIALIZER
static void mcl_acquire(mcl_lock *l) { pthread_mutex_lock(l); }
static void mcl_release(mcl_lock *l) { pthread_mutex_unlock(l); }
static int mcl_mkdir(const char *path) { return mkdir(path, 0777); }
static long mcl_pid(void) { return (long)getpid(); }
#endif

static int profiling(void);

/* Lock order: state, then messages (never the other way). */
static mcl_lock state_lock = MCL_LOCK_INIT; /* default device, program cache */
static mcl_lock msg_lock = MCL_LOCK_INIT;   /* last message, log callback */

/* ---- Messages ---------------------------------------------------------- */

static char *last_msg;
static size_t last_len;
static myogen_cl_log_fn log_fn;
static void *log_user;

void myogen_cl_set_log(myogen_cl_log_fn fn, void *user)
{
    mcl_acquire(&msg_lock);
    log_fn = fn;
    log_user = user;
    mcl_release(&msg_lock);
}

size_t myogen_cl_last_error(char *buf, size_t len)
{
    size_t n;
    mcl_acquire(&msg_lock);
    n = last_len;
    if (buf && len) {
        size_t c = n < len - 1 ? n : len - 1;
        if (c)
            memcpy(buf, last_msg, c);
        buf[c] = 0;
    }
    mcl_release(&msg_lock);
    return n;
}

/* Records a message (the last error) and hands it to the log callback, or
 * to stderr under MYOGEN_CL_VERBOSE. */
static void report(const char *fmt, ...)
{
    va_list ap;
    char small[512], *msg = small;
    int n;
    myogen_cl_log_fn fn;
    void *user;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof small) {
        msg = malloc((size_t)n + 1);
        if (!msg) {
            msg = small; /* truncated */
        } else {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
    }
    mcl_acquire(&msg_lock);
    {
        size_t len = strlen(msg);
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, msg, len + 1);
            free(last_msg);
            last_msg = copy;
            last_len = len;
        }
    }
    fn = log_fn;
    user = log_user;
    mcl_release(&msg_lock);
    if (fn)
        fn(user, msg);
    else if (getenv("MYOGEN_CL_VERBOSE"))
        fprintf(stderr, "%s\n", msg);
    if (msg != small)
        free(msg);
}

const char *myogen_cl_strerror(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE) E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES)
        E(CL_OUT_OF_HOST_MEMORY) E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP)
        E(CL_IMAGE_FORMAT_MISMATCH) E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE)
        E(CL_MAP_FAILURE) E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) E(CL_COMPILE_PROGRAM_FAILURE)
        E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE) E(CL_DEVICE_PARTITION_FAILED)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
        E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS) E(CL_INVALID_LINKER_OPTIONS)
        E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
    case -1001:
        return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform is installed)";
    default:
        return "unknown OpenCL error";
    }
}

/* Reports a failed OpenCL call; returns 3. */
static int cl_fail(cl_int err, const char *what)
{
    report("myogen_cl: %s failed: %s (%d)", what, myogen_cl_strerror(err), (int)err);
    return MYOGEN_CL_EOPENCL;
}

/* ---- Devices ------------------------------------------------------------ */

static struct {
    int ready;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    char name[512];
} def;

static void info_string(cl_device_id d, cl_platform_id p, cl_uint param, char *buf, size_t len)
{
    buf[0] = 0;
    if (d)
        clGetDeviceInfo(d, param, len, buf, NULL);
    else
        clGetPlatformInfo(p, param, len, buf, NULL);
    buf[len - 1] = 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 1;
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

static int equal_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

#define MCL_MAX_PLATFORMS 16
#define MCL_MAX_DEVICES 64

/* Picks the default device (caller holds state_lock). */
static int choose_device(cl_platform_id *platform, cl_device_id *device)
{
    cl_platform_id plats[MCL_MAX_PLATFORMS];
    cl_uint np = 0, p;
    const char *want = getenv("MYOGEN_CL_DEVICE");
    int by_index = 0, pi = -1, di = -1;
    cl_device_type by_type = 0;
    char list[2048];
    size_t used = 0;
    cl_int err = clGetPlatformIDs(MCL_MAX_PLATFORMS, plats, &np);
    if (err != CL_SUCCESS || np == 0)
        return cl_fail(err != CL_SUCCESS ? err : CL_DEVICE_NOT_FOUND,
                       "finding an OpenCL platform (clGetPlatformIDs)");
    if (np > MCL_MAX_PLATFORMS)
        np = MCL_MAX_PLATFORMS;
    if (want && !*want)
        want = NULL;
    if (want) {
        char tail;
        if (sscanf(want, "%d:%d%c", &pi, &di, &tail) == 2 && pi >= 0 && di >= 0)
            by_index = 1;
        else if (equal_nocase(want, "gpu"))
            by_type = CL_DEVICE_TYPE_GPU;
        else if (equal_nocase(want, "cpu"))
            by_type = CL_DEVICE_TYPE_CPU;
        else if (equal_nocase(want, "accelerator"))
            by_type = CL_DEVICE_TYPE_ACCELERATOR;
    }
    list[0] = 0;
    /* two sweeps without MYOGEN_CL_DEVICE: a GPU first, then any device */
    for (int sweep = 0; sweep < 2; sweep++) {
        for (p = 0; p < np; p++) {
            cl_device_id devs[MCL_MAX_DEVICES];
            cl_uint nd = 0, d;
            char pname[256];
            if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MCL_MAX_DEVICES, devs, &nd) !=
                CL_SUCCESS)
                continue;
            if (nd > MCL_MAX_DEVICES)
                nd = MCL_MAX_DEVICES;
            info_string(NULL, plats[p], CL_PLATFORM_NAME, pname, sizeof pname);
            for (d = 0; d < nd; d++) {
                char dname[256];
                cl_device_type type = 0;
                int pick;
                clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof type, &type, NULL);
                info_string(devs[d], NULL, CL_DEVICE_NAME, dname, sizeof dname);
                if (sweep == 0 && used < sizeof list)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s%u:%u %s: %s",
                                             used ? "; " : "", p, d, pname, dname);
                if (by_index)
                    pick = (int)p == pi && (int)d == di;
                else if (by_type)
                    pick = (type & by_type) != 0;
                else if (want)
                    pick = contains_nocase(dname, want) || contains_nocase(pname, want);
                else
                    pick = sweep == 1 || (type & CL_DEVICE_TYPE_GPU);
                if (pick) {
                    *platform = plats[p];
                    *device = devs[d];
                    snprintf(def.name, sizeof def.name, "%s: %s", pname, dname);
                    return 0;
                }
            }
        }
        if (want)
            break;
    }
    if (want)
        report("myogen_cl: MYOGEN_CL_DEVICE=%s matches no OpenCL device (devices: %s)", want,
               list[0] ? list : "none");
    else
        report("myogen_cl: no OpenCL device found");
    return MYOGEN_CL_EOPENCL;
}

/* Caller holds state_lock. */
static int init_default(void)
{
    cl_int err;
    cl_context_properties props[3];
    int rc;
    if (def.ready)
        return 0;
    rc = choose_device(&def.platform, &def.device);
    if (rc != 0)
        return rc;
    props[0] = CL_CONTEXT_PLATFORM;
    props[1] = (cl_context_properties)def.platform;
    props[2] = 0;
    def.context = clCreateContext(props, 1, &def.device, NULL, NULL, &err);
    if (!def.context)
        return cl_fail(err, "creating the default context (clCreateContext)");
    def.queue = clCreateCommandQueue(def.context, def.device,
                                     profiling() ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (!def.queue) {
        clReleaseContext(def.context);
        def.context = NULL;
        return cl_fail(err, "creating the default queue (clCreateCommandQueue)");
    }
    def.ready = 1;
    return 0;
}

int myogen_cl_default(cl_context *context, cl_device_id *device, cl_command_queue *queue)
{
    int rc;
    mcl_acquire(&state_lock);
    rc = init_default();
    if (rc == 0) {
        if (context)
            *context = def.context;
        if (device)
            *device = def.device;
        if (queue)
            *queue = def.queue;
    }
    mcl_release(&state_lock);
    return rc;
}

int myogen_cl_available(void) { return myogen_cl_default(NULL, NULL, NULL) == 0; }

int myogen_cl_device_name(char *buf, size_t len)
{
    int rc;
    mcl_acquire(&state_lock);
    rc = init_default();
    if (rc == 0 && buf && len)
        snprintf(buf, len, "%s", def.name);
    mcl_release(&state_lock);
    return rc;
}

int myogen_cl_device_driver(char *buf, size_t len)
{
    int rc;
    mcl_acquire(&state_lock);
    rc = init_default();
    if (rc == 0 && buf && len)
        info_string(def.device, NULL, CL_DRIVER_VERSION, buf, len);
    mcl_release(&state_lock);
    return rc;
}

/* ---- Program cache -------------------------------------------------------- */

typedef struct prog_entry {
    struct prog_entry *next;
    const char *const *lines; /* the caller's source array: the fast lookup */
    size_t nlines;
    char *options;
    cl_context context;
    cl_device_id device;
    char key[33];
    cl_program program;
} prog_entry;

typedef struct bin_entry {
    struct bin_entry *next;
    char key[33];
    unsigned char *bin;
    size_t size;
} bin_entry;

static prog_entry *programs;
static bin_entry *binaries;

/* Two 64-bit FNV-1a hashes (different offsets), over length-prefixed fields. */
typedef struct {
    uint64_t a, b;
} hash128;

static void hash_bytes(hash128 *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ p[i]) * 0x100000001b3ULL;
        h->b = (h->b ^ p[i]) * 0x100000001b3ULL;
        h->b ^= h->b >> 29;
    }
}

static void hash_field(hash128 *h, const void *data, size_t n)
{
    uint64_t len = n;
    hash_bytes(h, &len, sizeof len);
    hash_bytes(h, data, n);
}

static void program_key(const char *const *lines, size_t nlines, const char *options,
                        cl_device_id device, char key[33])
{
    hash128 h = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    static const cl_uint device_params[] = {CL_DEVICE_NAME, CL_DEVICE_VENDOR, CL_DEVICE_VERSION,
                                            CL_DRIVER_VERSION};
    cl_platform_id platform = NULL;
    char buf[1024];
    uint64_t total = 0;
    hash_field(&h, "myogen_cl 1", 11);
    for (size_t i = 0; i < nlines; i++)
        total += strlen(lines[i]);
    hash_bytes(&h, &total, sizeof total); /* the source, concatenated */
    for (size_t i = 0; i < nlines; i++)
        hash_bytes(&h, lines[i], strlen(lines[i]));
    hash_field(&h, options, strlen(options));
    for (size_t i = 0; i < sizeof device_params / sizeof device_params[0]; i++) {
        info_string(device, NULL, device_params[i], buf, sizeof buf);
        hash_field(&h, buf, strlen(buf));
    }
    clGetDeviceInfo(device, CL_DEVICE_PLATFORM, sizeof platform, &platform, NULL);
    info_string(NULL, platform, CL_PLATFORM_NAME, buf, sizeof buf);
    hash_field(&h, buf, strlen(buf));
    info_string(NULL, platform, CL_PLATFORM_VERSION, buf, sizeof buf);
    hash_field(&h, buf, strlen(buf));
    snprintf(key, 33, "%016llx%016llx", (unsigned long long)h.a, (unsigned long long)h.b);
}

/* The build log of `program` on `device` (malloc'd; NULL if none). */
static char *build_log(cl_program program, cl_device_id device)
{
    size_t n = 0;
    char *log;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) != CL_SUCCESS ||
        n == 0)
        return NULL;
    log = malloc(n + 1);
    if (!log)
        return NULL;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, n, log, NULL) != CL_SUCCESS) {
        free(log);
        return NULL;
    }
    log[n] = 0;
    return log;
}

static cl_program from_binary(cl_context context, cl_device_id device, const unsigned char *bin,
                              size_t size, const char *options)
{
    cl_int err, status;
    cl_program program =
        clCreateProgramWithBinary(context, 1, &device, &size, &bin, &status, &err);
    if (!program)
        return NULL;
    if (status != CL_SUCCESS ||
        clBuildProgram(program, 1, &device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(program);
        return NULL;
    }
    return program;
}

/* The binary of a program built for one device (malloc'd), or NULL. */
static unsigned char *get_binary(cl_program program, size_t *size)
{
    unsigned char *bin;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof *size, size, NULL) !=
            CL_SUCCESS ||
        *size == 0)
        return NULL;
    bin = malloc(*size);
    if (!bin)
        return NULL;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS) {
        free(bin);
        return NULL;
    }
    return bin;
}

static char *cache_path(const char *dir, const char *key)
{
    size_t n = strlen(dir) + 64;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/myogen-%s.clbin", dir, key);
    return path;
}

static unsigned char *disk_read(const char *dir, const char *key, size_t *size)
{
    char *path = cache_path(dir, key);
    FILE *f = path ? fopen(path, "rb") : NULL;
    unsigned char *bin = NULL;
    long n;
    free(path);
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        bin = malloc((size_t)n);
        if (bin && fread(bin, 1, (size_t)n, f) != (size_t)n) {
            free(bin);
            bin = NULL;
        }
        *size = (size_t)n;
    }
    fclose(f);
    return bin;
}

/* Writes the binary to a temporary file and renames it into place; a
 * failure only costs a rebuild later (reported, not returned). */
static void disk_write(const char *dir, const char *key, const unsigned char *bin, size_t size)
{
    static unsigned long counter;
    char *path = cache_path(dir, key);
    char *tmp = path ? malloc(strlen(path) + 64) : NULL;
    FILE *f;
    int ok;
    if (!tmp) {
        free(path);
        return;
    }
    mcl_mkdir(dir); /* may exist */
    sprintf(tmp, "%s.%ld.%lu.tmp", path, mcl_pid(), ++counter);
    f = fopen(tmp, "wb");
    ok = f && fwrite(bin, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0) {
        remove(path); /* Windows: rename does not replace */
        ok = rename(tmp, path) == 0;
    }
    if (!ok) {
        remove(tmp);
        report("myogen_cl: cannot write the program cache file %s (continuing without it)",
               path);
    }
    free(tmp);
    free(path);
}

/* Caller holds state_lock.  Builds from source; reports the build log. */
static int build_source(cl_context context, cl_device_id device, const char *const *lines,
                        size_t nlines, const char *options, const char *label,
                        cl_program *out)
{
    cl_int err;
    cl_program program =
        clCreateProgramWithSource(context, (cl_uint)nlines, (const char **)lines, NULL, &err);
    char dname[256];
    if (!program)
        return cl_fail(err, "creating a program (clCreateProgramWithSource)");
    err = clBuildProgram(program, 1, &device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        char *log = build_log(program, device);
        info_string(device, NULL, CL_DEVICE_NAME, dname, sizeof dname);
        report("myogen_cl: building %s for %s failed: %s (%d); build log:\n%s", label, dname,
               myogen_cl_strerror(err), (int)err, log ? log : "(none)");
        free(log);
        clReleaseProgram(program);
        return MYOGEN_CL_EOPENCL;
    }
    *out = program;
    return 0;
}

int myogen_cl_program(cl_command_queue queue, const char *const *lines, size_t nlines,
                      const char *options, const char *label, cl_program *program)
{
    cl_context context;
    cl_device_id device;
    cl_int err;
    prog_entry *e;
    bin_entry *b;
    char key[33];
    const char *dir;
    cl_program prog = NULL;
    int rc = 0, shared = 0;
    const char *extra = getenv("MYOGEN_CL_OPTIONS");
    char *joined = NULL;
    if (!queue || !lines || nlines == 0 || !program)
        return MYOGEN_CL_EINVAL;
    if (!options)
        options = "";
    if (extra && *extra) { /* the user's flags after the program's own */
        joined = malloc(strlen(options) + strlen(extra) + 2);
        if (!joined) {
            report("myogen_cl: out of host memory building %s", label ? label : "program");
            return MYOGEN_CL_EOPENCL;
        }
        sprintf(joined, "%s %s", options, extra);
        options = joined;
    }
    if (!label)
        label = "program";
    err = clGetCommandQueueInfo(queue, CL_QUEUE_CONTEXT, sizeof context, &context, NULL);
    if (err == CL_SUCCESS)
        err = clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL);
    if (err != CL_SUCCESS) {
        free(joined);
        return cl_fail(err, "querying the queue (clGetCommandQueueInfo)");
    }
    mcl_acquire(&state_lock);
    for (e = programs; e; e = e->next)
        if (e->lines == lines && e->nlines == nlines && e->context == context &&
            e->device == device && strcmp(e->options, options) == 0) {
            *program = e->program;
            mcl_release(&state_lock);
            free(joined);
            return 0;
        }
    program_key(lines, nlines, options, device, key);
    for (e = programs; e; e = e->next)
        if (e->context == context && e->device == device && strcmp(e->key, key) == 0) {
            prog = e->program; /* the same source from another array */
            shared = 1;
            break;
        }
    if (!prog) {
        for (b = binaries; b && strcmp(b->key, key) != 0; b = b->next)
            ;
        if (b)
            prog = from_binary(context, device, b->bin, b->size, options);
    }
    dir = getenv("MYOGEN_CL_CACHE");
    if (dir && !*dir)
        dir = NULL;
    if (!prog && dir) {
        size_t size = 0;
        unsigned char *bin = disk_read(dir, key, &size);
        if (bin) {
            prog = from_binary(context, device, bin, size, options);
            if (prog && (b = malloc(sizeof *b)) != NULL) {
                memcpy(b->key, key, sizeof b->key);
                b->bin = bin;
                b->size = size;
                b->next = binaries;
                binaries = b;
                bin = NULL;
            }
            free(bin);
        }
    }
    if (!prog) {
        rc = build_source(context, device, lines, nlines, options, label, &prog);
        if (rc == 0) {
            size_t size = 0;
            unsigned char *bin = get_binary(prog, &size);
            if (bin && dir)
                disk_write(dir, key, bin, size);
            if (bin && (b = malloc(sizeof *b)) != NULL) {
                memcpy(b->key, key, sizeof b->key);
                b->bin = bin;
                b->size = size;
                b->next = binaries;
                binaries = b;
            } else {
                free(bin);
            }
        }
    }
    if (rc == 0) {
        /* every entry owns one reference to its program and its context */
        e = malloc(sizeof *e);
        if (e)
            e->options = malloc(strlen(options) + 1);
        if (!e || !e->options) {
            free(e);
            report("myogen_cl: out of host memory caching %s", label);
            if (!shared)
                clReleaseProgram(prog);
            rc = MYOGEN_CL_EOPENCL;
        } else {
            if (shared)
                clRetainProgram(prog);
            clRetainContext(context);
            strcpy(e->options, options);
            e->lines = lines;
            e->nlines = nlines;
            e->context = context;
            e->device = device;
            memcpy(e->key, key, sizeof e->key);
            e->program = prog;
            e->next = programs;
            programs = e;
            *program = prog;
        }
    }
    mcl_release(&state_lock);
    free(joined);
    return rc;
}

/* ---- Launches -------------------------------------------------------------- */

static size_t local_size(void)
{
    static size_t cached;
    size_t n = cached;
    if (n == 0) {
        const char *s = getenv("MYOGEN_CL_LOCAL_SIZE");
        long v = s ? strtol(s, NULL, 10) : 0;
        n = v > 0 && v <= 4096 ? (size_t)v : 64;
        cached = n; /* idempotent: every thread computes the same */
    }
    return n;
}

/* Out-of-order queues get a barrier after each command, so the commands of
 * a call run in order there too. */
static int barrier_if_ooo(cl_command_queue queue)
{
    cl_command_queue_properties props = 0;
    cl_int err = clGetCommandQueueInfo(queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL);
    if (err != CL_SUCCESS)
        return cl_fail(err, "querying the queue (clGetCommandQueueInfo)");
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
        err = clEnqueueBarrierWithWaitList(queue, 0, NULL, NULL);
        if (err != CL_SUCCESS)
            return cl_fail(err, "clEnqueueBarrierWithWaitList");
    }
    return 0;
}

/* Kernel objects not in use, kept for the next launch of the same kernel of
 * the same program (clCreateKernel and the work-group query cost more than
 * a small launch).  A launch takes one out of the pool, or creates one, and
 * puts it back once enqueued (the arguments are captured at enqueue time),
 * so concurrent launches never share a kernel object. */
typedef struct kern_entry {
    cl_program program;
    cl_device_id device;
    char *name;
    cl_kernel kernel;
    size_t local; /* work-group size for this device */
    struct kern_entry *next;
} kern_entry;
static kern_entry *idle_kernels; /* under state_lock */

static kern_entry *kernel_take(cl_command_queue queue, cl_program program, const char *name)
{
    kern_entry *e, **at;
    cl_device_id device;
    size_t max_local = 0;
    cl_int err;
    char what[256];
    if (clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device, NULL) !=
        CL_SUCCESS)
        device = NULL;
    mcl_acquire(&state_lock);
    for (at = &idle_kernels; *at; at = &(*at)->next)
        if ((*at)->program == program && (*at)->device == device && !strcmp((*at)->name, name))
            break;
    e = *at;
    if (e)
        *at = e->next;
    mcl_release(&state_lock);
    if (e)
        return e;
    e = calloc(1, sizeof *e);
    if (e)
        e->name = malloc(strlen(name) + 1);
    if (!e || !e->name) {
        free(e);
        report("myogen_cl: out of host memory creating kernel %s", name);
        return NULL;
    }
    strcpy(e->name, name);
    e->kernel = clCreateKernel(program, name, &err);
    if (!e->kernel) {
        free(e->name);
        free(e);
        snprintf(what, sizeof what, "creating kernel %s (clCreateKernel)", name);
        cl_fail(err, what);
        return NULL;
    }
    e->program = program;
    e->device = device;
    e->local = local_size();
    if (device &&
        clGetKernelWorkGroupInfo(e->kernel, device, CL_KERNEL_WORK_GROUP_SIZE, sizeof max_local,
                                 &max_local, NULL) == CL_SUCCESS &&
        max_local > 0)
        while (e->local > max_local)
            e->local /= 2;
    if (e->local == 0)
        e->local = 1;
    return e;
}

static void kernel_give_back(kern_entry *e)
{
    mcl_acquire(&state_lock);
    e->next = idle_kernels;
    idle_kernels = e;
    mcl_release(&state_lock);
}

/* ---- Profiling (MYOGEN_CL_PROFILE) ------------------------------------------ */

/* Per kernel name: launches and device seconds, summed over the process and
 * printed to stderr at exit, heaviest first.  Each launch then waits for its
 * kernel, so a profiled run is slower; the times are the device's (event
 * start to end) where the queue has profiling enabled (the default queue
 * does in this mode), else host wall time around the wait.
 * MYOGEN_CL_PROFILE=sizes keys the table by name and work-items
 * ("k_up[16384]"), which tells a kernel's launches over tree levels apart. */
typedef struct prof_entry {
    char name[96];
    unsigned long calls;
    double seconds;
} prof_entry;
static prof_entry prof[256];
static int prof_count, prof_state; /* state: 0 unread, 1 off, 2 on, 3 on by size */
static unsigned long prof_untabled; /* launches of kernels past the table's 256 names */

static void prof_report(void)
{
    double total = 0;
    int order[256], n = prof_count;
    for (int i = 0; i < n; i++) {
        order[i] = i;
        total += prof[i].seconds;
    }
    for (int i = 1; i < n; i++) /* insertion sort by time, heaviest first */
        for (int j = i; j > 0 && prof[order[j]].seconds > prof[order[j - 1]].seconds; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    fprintf(stderr, "myogen_cl profile: %d kernels, %.3f ms in all\n", n, total * 1e3);
    if (prof_untabled)
        fprintf(stderr, "(and %lu launches of kernels past the first %d names, not counted)\n",
                prof_untabled, n);
    fprintf(stderr, "%10s %8s %10s %6s  %s\n", "ms", "calls", "us/call", "%", "kernel");
    for (int k = 0; k < n; k++) {
        const prof_entry *p = &prof[order[k]];
        fprintf(stderr, "%10.3f %8lu %10.2f %5.1f%%  %s\n", p->seconds * 1e3, p->calls,
                p->seconds * 1e6 / (double)p->calls, total > 0 ? 100 * p->seconds / total : 0.0,
                p->name);
    }
}

static int profiling(void)
{
    if (prof_state == 0) {
        mcl_acquire(&msg_lock);
        if (prof_state == 0) {
            const char *s = getenv("MYOGEN_CL_PROFILE");
            prof_state = !s || !*s || strcmp(s, "0") == 0 ? 1 : strcmp(s, "sizes") == 0 ? 3 : 2;
            if (prof_state >= 2)
                atexit(prof_report);
        }
        mcl_release(&msg_lock);
    }
    return prof_state >= 2;
}

static void prof_add(const char *name, double seconds)
{
    int i;
    mcl_acquire(&msg_lock);
    for (i = 0; i < prof_count && strcmp(prof[i].name, name) != 0; i++)
        ;
    if (i == prof_count && prof_count < (int)(sizeof prof / sizeof prof[0])) {
        snprintf(prof[i].name, sizeof prof[i].name, "%s", name);
        prof_count++;
    }
    if (i < prof_count) {
        prof[i].calls++;
        prof[i].seconds += seconds;
    } else {
        prof_untabled++;
    }
    mcl_release(&msg_lock);
}

double myogen_cl_profile_seconds(void)
{
    double total = 0;
    if (!profiling())
        return 0;
    mcl_acquire(&msg_lock);
    for (int i = 0; i < prof_count; i++)
        total += prof[i].seconds;
    mcl_release(&msg_lock);
    return total;
}

static double wall_seconds(void)
{
#if defined(_WIN32)
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

/* Waits for the launch's kernel and adds its time (the queue was drained
 * before the launch, so wall time is the kernel's plus the launch cost). */
static void prof_wait(cl_event ev, const char *name, double t0)
{
    cl_ulong start = 0, end = 0;
    double seconds;
    clWaitForEvents(1, &ev);
    seconds = wall_seconds() - t0;
    if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL) ==
            CL_SUCCESS &&
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL) ==
            CL_SUCCESS &&
        end >= start)
        seconds = (double)(end - start) * 1e-9;
    clReleaseEvent(ev);
    prof_add(name, seconds);
}

/* Enqueues `name` over `items` work-items in groups of `local` (0: the
 * kernel's default size for this device). */
static int launch(cl_command_queue queue, cl_program program, const char *name, size_t items,
                  size_t local, size_t nargs, const myogen_cl_arg *args)
{
    cl_int err;
    kern_entry *e;
    size_t global;
    char what[256];
    if (items == 0)
        return 0;
    e = kernel_take(queue, program, name);
    if (!e)
        return MYOGEN_CL_EOPENCL;
    for (size_t i = 0; i < nargs; i++) {
        err = clSetKernelArg(e->kernel, (cl_uint)i, args[i].size, args[i].value);
        if (err != CL_SUCCESS) {
            kernel_give_back(e);
            snprintf(what, sizeof what, "setting argument %u of kernel %s (clSetKernelArg)",
                     (unsigned)i, name);
            return cl_fail(err, what);
        }
    }
    if (local == 0)
        local = e->local;
    global = (items + local - 1) / local * local;
    if (profiling()) {
        cl_event ev = NULL;
        double t0;
        clFinish(queue);
        t0 = wall_seconds();
        err = clEnqueueNDRangeKernel(queue, e->kernel, 1, NULL, &global, &local, 0, NULL, &ev);
        if (err == CL_SUCCESS) {
            char key[96];
            if (prof_state == 3)
                snprintf(key, sizeof key, "%s[%zu]", name, global);
            prof_wait(ev, prof_state == 3 ? key : name, t0);
        }
    } else {
        err = clEnqueueNDRangeKernel(queue, e->kernel, 1, NULL, &global, &local, 0, NULL, NULL);
    }
    kernel_give_back(e);
    if (err != CL_SUCCESS) {
        snprintf(what, sizeof what, "enqueueing kernel %s over %lu work-items "
                 "(clEnqueueNDRangeKernel)", name, (unsigned long)global);
        return cl_fail(err, what);
    }
    return barrier_if_ooo(queue);
}

int myogen_cl_launch(cl_command_queue queue, cl_program program, const char *name,
                     size_t items, size_t nargs, const myogen_cl_arg *args)
{
    return launch(queue, program, name, items, 0, nargs, args);
}

int myogen_cl_launch_groups(cl_command_queue queue, cl_program program, const char *name,
                            size_t groups, size_t group_size, size_t nargs,
                            const myogen_cl_arg *args)
{
    if (group_size == 0 || groups > SIZE_MAX / group_size) {
        report("myogen_cl: kernel %s: %lu work-groups of %lu work-items overflow size_t", name,
               (unsigned long)groups, (unsigned long)group_size);
        return MYOGEN_CL_EINVAL;
    }
    return launch(queue, program, name, groups * group_size, group_size, nargs, args);
}

int myogen_cl_status_begin(cl_command_queue queue, cl_mem workspace)
{
    const cl_int zero = 0;
    cl_int err = clEnqueueFillBuffer(queue, workspace, &zero, sizeof zero, 0, sizeof zero, 0,
                                     NULL, NULL);
    if (err != CL_SUCCESS)
        return cl_fail(err, "clearing the status word (clEnqueueFillBuffer)");
    return barrier_if_ooo(queue);
}

int myogen_cl_status_end(cl_command_queue queue, cl_mem workspace)
{
    cl_int status = 0, err;
    err = clEnqueueReadBuffer(queue, workspace, CL_TRUE, 0, sizeof status, &status, 0, NULL,
                              NULL);
    if (err != CL_SUCCESS)
        return cl_fail(err, "reading the status word (clEnqueueReadBuffer)");
    if (status == 0 || status == MYOGEN_CL_ENUMERIC)
        return status;
    report("myogen_cl: a kernel left status %d", (int)status);
    return MYOGEN_CL_EOPENCL;
}

int myogen_cl_check(cl_mem buffer, size_t bytes)
{
    size_t size = 0;
    if (!buffer)
        return MYOGEN_CL_EINVAL;
    if (clGetMemObjectInfo(buffer, CL_MEM_SIZE, sizeof size, &size, NULL) != CL_SUCCESS)
        return MYOGEN_CL_EINVAL;
    return size >= bytes ? 0 : MYOGEN_CL_EINVAL;
}

int myogen_cl_upload(cl_context context, const void *host, size_t bytes, cl_mem *buffer)
{
    cl_int err;
    *buffer = NULL;
    if (!host || bytes == 0)
        return 0;
    *buffer = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, bytes,
                             (void *)host, &err);
    return *buffer ? 0 : cl_fail(err, "creating an input buffer (clCreateBuffer)");
}

int myogen_cl_alloc(cl_context context, size_t bytes, cl_mem *buffer)
{
    cl_int err;
    *buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes ? bytes : 1, NULL, &err);
    return *buffer ? 0 : cl_fail(err, "creating a buffer (clCreateBuffer)");
}

int myogen_cl_download(cl_command_queue queue, cl_mem buffer, void *host, size_t bytes)
{
    cl_int err;
    if (bytes == 0)
        return 0;
    err = clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, bytes, host, 0, NULL, NULL);
    return err == CL_SUCCESS ? 0 : cl_fail(err, "reading a result (clEnqueueReadBuffer)");
}

void myogen_cl_free(cl_mem buffer)
{
    if (buffer)
        clReleaseMemObject(buffer);
}

void myogen_cl_shutdown(void)
{
    mcl_acquire(&state_lock);
    while (idle_kernels) { /* before their programs */
        kern_entry *e = idle_kernels;
        idle_kernels = e->next;
        clReleaseKernel(e->kernel);
        free(e->name);
        free(e);
    }
    while (programs) {
        prog_entry *e = programs;
        programs = e->next;
        clReleaseProgram(e->program);
        clReleaseContext(e->context);
        free(e->options);
        free(e);
    }
    while (binaries) {
        bin_entry *b = binaries;
        binaries = b->next;
        free(b->bin);
        free(b);
    }
    if (def.ready) {
        clReleaseCommandQueue(def.queue);
        clReleaseContext(def.context);
        memset(&def, 0, sizeof def);
    }
    mcl_release(&state_lock);
}
