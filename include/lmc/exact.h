/* exact.h : coding models (formats `lmc-exact-1` and `lmc-exact-2`, DESIGN.md §2) and the exact inference path
 * (DESIGN.md §3) that turns them into the codec's predictor.
 *
 * A coding model holds integer weights and tables made once from a float model by
 * lmc_exact_quantize() (`lmc quantize`); coding never looks at the float model. Its model id is
 * the SHA-256 of the canonical serialisation of runtime/exact/EXACT.md. Inference is integer-only: the
 * Q16 logit rows are the same on cpu-ref and on every OpenCL device, whole window or one position
 * at a time. Built-in models are embedded in the binary; "default" names the one the build chose.
 * Key invariant: rows are a pure function of (coding model, window bytes before the position). */
#ifndef LMC_EXACT_H
#define LMC_EXACT_H

#include <stddef.h>
#include <stdint.h>

#include "lmc/codec.h"
#include "lmc/device.h"
#include "lmc/model.h"
#include "lmc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_EXACT_FORMAT "lmc-exact-1"
/* The second format: the same tensors, products of int16 operands (runtime/exact/EXACT.md §4). */
#define LMC_EXACT_FORMAT_2 "lmc-exact-2"

typedef struct lmc_exact_model lmc_exact_model;

/* lmc_exact_quantize() : the coding model of a float model, format lmc-exact-1. @return *out owned
 * by the caller. */
lmc_status lmc_exact_quantize(const lmc_model *model, lmc_exact_model **out);
/* lmc_exact_quantize_format() : the same in format `version` (1: lmc-exact-1, 2: lmc-exact-2);
 * both formats hold the same tensors, only the arithmetic that reads them differs. */
lmc_status lmc_exact_quantize_format(const lmc_model *model, int version, lmc_exact_model **out);
/* lmc_exact_model_format() : the model's format version, 1 or 2. */
int lmc_exact_model_format(const lmc_exact_model *m);

/* Loading is strict: exactly the tensors, dtypes and shapes of the metadata's configuration,
 * the data section covered exactly, every multiplier/shift/table in its range; else
 * LMC_ERR_MODEL with a detail. */
lmc_status lmc_exact_model_load_memory(const void *data, size_t size, lmc_exact_model **out);
lmc_status lmc_exact_model_load(const char *path, lmc_exact_model **out);

/* lmc_exact_model_open() : "default" (the built-in lmc_builtin_model_default() gives), the name
 * of a built-in, or a file. */
lmc_status lmc_exact_model_open(const char *name_or_path, lmc_exact_model **out);

/* lmc_exact_model_serialize() : the canonical safetensors image (*data malloc'd, caller frees). */
lmc_status lmc_exact_model_serialize(const lmc_exact_model *m, uint8_t **data, size_t *size);
/* lmc_exact_model_save() : write the image atomically. */
lmc_status lmc_exact_model_save(const lmc_exact_model *m, const char *path);

void lmc_exact_model_destroy(lmc_exact_model *m); /* accepts NULL */

/* lmc_exact_model_id() : the model id (SHA-256 of the canonical serialisation). */
void lmc_exact_model_id(const lmc_exact_model *m, uint8_t id[LMC_MODEL_ID_SIZE]);
/* lmc_exact_model_get_config() : its shape (context = the longest window it codes). */
lmc_model_config lmc_exact_model_get_config(const lmc_exact_model *m);

/* Built-in coding models, oldest first. Only ever added to. lmc_builtin_model_default() : the
 * index of "default" (LMC_DEFAULT_BUILTIN at build time, not necessarily the newest). */
size_t lmc_builtin_model_count(void);
size_t lmc_builtin_model_default(void);
const char *lmc_builtin_model_name(size_t i);
lmc_status lmc_builtin_model_load(size_t i, lmc_exact_model **out);
/* lmc_builtin_model_find_id() : the built-in whose id is `id`; LMC_ERR_MODEL_MISMATCH (with the
 * id in hex) when none is. */
lmc_status lmc_builtin_model_find_id(const uint8_t id[LMC_MODEL_ID_SIZE], lmc_exact_model **out);

/* lmc_exact_rows_ref() : the Q16 rows of one window (len <= context bytes) computed by the
 * plain-C oracle (cpu-ref) position by position. rows (len, 256), caller-owned. */
lmc_status lmc_exact_rows_ref(const lmc_exact_model *m, const uint8_t *bytes, size_t len, int32_t *rows);

typedef struct lmc_exact_predictor_params {
    size_t max_windows;          /* windows per device call, 1..64; 0 (the default): chosen by
                                  * a short calibration at first use on an OpenCL device, cached
                                  * per device and model shape (LMC_EXACT_BATCH=N overrides) */
    size_t local_size;           /* OpenCL work-group size; 0 lets the driver choose */
    const char *kernel_preamble; /* extra #define lines for the kernel (tests' negative controls) */
} lmc_exact_predictor_params;

lmc_exact_predictor_params lmc_exact_predictor_params_default(void);

/* lmc_exact_predictor_create() : the codec predictor of coding model `m` on `device` (cpu-ref or
 * OpenCL). Windows must be at most the model's context. `m` and `device` are borrowed and must
 * outlive the predictor. @return *out owned by the caller (lmc_exact_predictor_destroy()). */
lmc_status lmc_exact_predictor_create(const lmc_exact_model *m, lmc_device *device,
                                      const lmc_exact_predictor_params *params, lmc_predictor **out);
void lmc_exact_predictor_destroy(lmc_predictor *p); /* accepts NULL */

/* How an exact predictor's batch (max_windows) was chosen: the caller's params, LMC_EXACT_BATCH,
 * a calibration run now on this device, that calibration read back from the cache folder, or
 * the fixed default (cpu-ref, simulators). lmc_exact_predictor_batch_source() : its name
 * ("params", "env", "calibrated", "cached", "default"); a static string. */
const char *lmc_exact_predictor_batch_source(const lmc_predictor *p);

/* The two sizes chosen with the batch on an OpenCL device (calibrated and cached with it, else
 * the device's defaults; LMC_EXACT_CHUNK_ROWS and params->local_size override them): exb_decode's
 * work-group size and the rows of an encoding chunk. 0 and 0 on cpu-ref. Neither changes a row. */
void lmc_exact_predictor_sizes(const lmc_predictor *p, size_t *decode_work_group, size_t *chunk_rows);

/* Per-kernel device time of an exact predictor on OpenCL (`lmc bench coding --profile`). With
 * profiling on, the predictor enqueues on a profiling command queue of its own and records every
 * launch's event time; ops (2 per multiply-add) and bytes are the kernel's nominal work from the
 * shapes, not counters. Profiling changes no row. */
#define LMC_EXACT_PROFILE_MAX 16
typedef struct lmc_exact_profile_row {
    const char *kernel; /* static name of the launch's role (e.g. "attention", "w1_gelu") */
    int decode;         /* 0: encode_rows, 1: decode_next */
    uint64_t launches;
    double seconds;     /* sum of the launches' device times (CL_PROFILING_COMMAND_START..END) */
    double ops, bytes;
} lmc_exact_profile_row;
typedef struct lmc_exact_profile {
    size_t n;                                        /* rows used, roles with launches only */
    lmc_exact_profile_row rows[2 * LMC_EXACT_PROFILE_MAX];
    uint64_t positions[2];                           /* rows computed: encode, decode */
} lmc_exact_profile;
/* lmc_exact_predictor_set_profiling() : on (1) or off (0); turning it on clears the counts.
 * LMC_ERR_UNSUPPORTED on cpu-ref. lmc_exact_predictor_get_profile() : the counts so far. */
lmc_status lmc_exact_predictor_set_profiling(lmc_predictor *p, int on);
lmc_status lmc_exact_predictor_get_profile(const lmc_predictor *p, lmc_exact_profile *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_EXACT_H */
