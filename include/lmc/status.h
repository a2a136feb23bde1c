/* status.h : status codes, their strings, the per-thread error detail and logging.
 *
 * Every fallible lmc call returns an lmc_status: LMC_OK (0) or a negative code grouped by range
 * (CLBlast's habit). An enum drops context, so the function that fails also records a detail
 * text (an OpenCL build log, the offending file offset, the list of matching devices) that
 * lmc_last_error() returns on the same thread. The library never prints and never exits: it
 * reports through these codes and through the optional log callback. */
#ifndef LMC_STATUS_H
#define LMC_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lmc_status {
    LMC_OK = 0,

    /* -1 .. -99: the caller's arguments or resources */
    LMC_ERR_INVALID_ARGUMENT = -1,
    LMC_ERR_OUT_OF_MEMORY = -2,
    LMC_ERR_BUFFER_TOO_SMALL = -3,
    LMC_ERR_UNSUPPORTED = -4,
    LMC_ERR_INTERRUPTED = -5,

    /* -100 .. -199: files and streams */
    LMC_ERR_IO = -100,
    LMC_ERR_NOT_FOUND = -101,

    /* -200 .. -299: input that is not what it claims to be */
    LMC_ERR_FORMAT = -200,      /* foreign input: not this kind of file at all */
    LMC_ERR_CORRUPT = -201,     /* right kind of file, inconsistent contents */
    LMC_ERR_TRUNCATED = -202,   /* ends before the format says it may */
    LMC_ERR_VERSION = -203,     /* a format version this build cannot read */
    LMC_ERR_CHECKSUM = -204,    /* a CRC does not match */

    /* -300 .. -399: models */
    LMC_ERR_MODEL = -300,           /* a model file is malformed or incomplete */
    LMC_ERR_MODEL_MISMATCH = -301,  /* the model is not the one the stream was made with */

    /* -400 .. -499: devices, OpenCL and CLBlast */
    LMC_ERR_DEVICE_NOT_FOUND = -400,
    LMC_ERR_DEVICE_AMBIGUOUS = -401,
    LMC_ERR_OPENCL = -402,          /* an OpenCL call failed; the detail names it and its code */
    LMC_ERR_KERNEL_BUILD = -403,    /* a kernel failed to compile; the detail holds the build log */
    LMC_ERR_CLBLAST = -404,

    /* -500 .. -599: results that disagree */
    LMC_ERR_VERIFY_MISMATCH = -500
} lmc_status;

/* lmc_status_str() : a short constant description of a status ("ok", "corrupt input", ...).
 * @return a static string; unknown codes give "unknown status". */
const char *lmc_status_str(lmc_status status);

/* lmc_last_error() : the detail text recorded by the most recent failing lmc call on this thread
 * ("" when none). Valid until the next lmc call on the same thread. */
const char *lmc_last_error(void);

/* lmc_clear_error() : forget the detail text of this thread. */
void lmc_clear_error(void);

/* lmc_set_error() : record `status` with a printf-style detail for lmc_last_error() and return
 * `status`, so that a failing path can `return lmc_set_error(LMC_ERR_X, "...", ...);`.
 * For code inside lmc and for predictors or readers that plug into it. */
lmc_status lmc_set_error(lmc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* lmc_append_error() : append text to this thread's detail (used to add a build log). */
void lmc_append_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Logging. The library logs through one process-wide callback; none is installed by default,
 * so the library is silent unless the program asks. */
typedef enum lmc_log_level { LMC_LOG_DEBUG = 0, LMC_LOG_INFO = 1, LMC_LOG_WARN = 2 } lmc_log_level;
typedef void (*lmc_log_fn)(lmc_log_level level, const char *message, void *user);

/* lmc_log_set() : install `fn` (NULL removes it); `user` is passed back on every call. */
void lmc_log_set(lmc_log_fn fn, void *user);

/* lmc_log() : format and send a message to the installed callback, if any. */
void lmc_log(lmc_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* zstd-style helpers for code inside lmc. */
#define LMC_RETURN_IF(cond, status, ...)                \
    do {                                                \
        if (cond) return lmc_set_error((status), __VA_ARGS__); \
    } while (0)

#define LMC_TRY(expr)                               \
    do {                                            \
        lmc_status lmc_try_status_ = (expr);        \
        if (lmc_try_status_ != LMC_OK) return lmc_try_status_; \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif /* LMC_STATUS_H */
