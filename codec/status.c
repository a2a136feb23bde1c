/* status.c : status strings, the per-thread error detail, logging and the version query.
 *
 * These live in codec/, the bottom layer, because every other layer reports through them and
 * codec may depend on nothing but include/. The detail buffer is thread-local so that devices
 * driven from several threads never overwrite each other's messages. */
#include "lmc/status.h"
#include "lmc/version.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    lmc_status status;
    const char *text;
} status_name;

/* One row per code, next to nothing else, so that a new code cannot miss its string. */
static const status_name status_names[] = {
    {LMC_OK, "ok"},
    {LMC_ERR_INVALID_ARGUMENT, "invalid argument"},
    {LMC_ERR_OUT_OF_MEMORY, "out of memory"},
    {LMC_ERR_BUFFER_TOO_SMALL, "buffer too small"},
    {LMC_ERR_UNSUPPORTED, "unsupported"},
    {LMC_ERR_INTERRUPTED, "interrupted"},
    {LMC_ERR_IO, "input/output error"},
    {LMC_ERR_NOT_FOUND, "not found"},
    {LMC_ERR_FORMAT, "unrecognised format"},
    {LMC_ERR_CORRUPT, "corrupt input"},
    {LMC_ERR_TRUNCATED, "truncated input"},
    {LMC_ERR_VERSION, "unsupported format version"},
    {LMC_ERR_CHECKSUM, "checksum mismatch"},
    {LMC_ERR_MODEL, "invalid model"},
    {LMC_ERR_MODEL_MISMATCH, "wrong model"},
    {LMC_ERR_DEVICE_NOT_FOUND, "no such device"},
    {LMC_ERR_DEVICE_AMBIGUOUS, "ambiguous device selector"},
    {LMC_ERR_OPENCL, "OpenCL error"},
    {LMC_ERR_KERNEL_BUILD, "kernel build failed"},
    {LMC_ERR_CLBLAST, "CLBlast error"},
    {LMC_ERR_VERIFY_MISMATCH, "verification mismatch"},
};

const char *lmc_status_str(lmc_status status) {
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].status == status) return status_names[i].text;
    return "unknown status";
}

/* Large enough for a typical kernel build log; longer logs are cut, never overflowed. */
#define LMC_ERROR_DETAIL_CAP 16384
static _Thread_local char error_detail[LMC_ERROR_DETAIL_CAP];

const char *lmc_last_error(void) { return error_detail; }

void lmc_clear_error(void) { error_detail[0] = '\0'; }

/* Both format into a scratch buffer first: a caller may pass lmc_last_error() itself as an
 * argument (to wrap the previous detail), which must not be overwritten while it is read. */
static _Thread_local char error_scratch[LMC_ERROR_DETAIL_CAP];

lmc_status lmc_set_error(lmc_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_scratch, sizeof error_scratch, fmt, args);
    va_end(args);
    memcpy(error_detail, error_scratch, sizeof error_detail);
    return status;
}

void lmc_append_error(const char *fmt, ...) {
    size_t used = strlen(error_detail);
    if (used + 1 >= sizeof error_detail) return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_scratch, sizeof error_scratch - used, fmt, args);
    va_end(args);
    memcpy(error_detail + used, error_scratch, strlen(error_scratch) + 1);
}

static lmc_log_fn log_fn;
static void *log_user;

void lmc_log_set(lmc_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

void lmc_log(lmc_log_level level, const char *fmt, ...) {
    if (!log_fn) return;
    char message[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    log_fn(level, message, log_user);
}

const char *lmc_version_string(void) { return LMC_VERSION_STRING; }

unsigned lmc_version_number(void) { return LMC_VERSION_NUMBER; }
