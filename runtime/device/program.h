/* program.h : OpenCL programs built from the kernels in cl/, cached per device.
 *
 * A program is `preamble` + cl/common.cl + cl/<name>.cl, compiled with the options of
 * lmc_program_build_options() (the one place build options live). The sources come from the
 * copies embedded in the binary, or from $LMC_KERNEL_DIR/<name>.cl when that variable is set
 * (and from the source tree when built with LMC_EMBED_KERNELS=OFF), for a quick edit-run loop. */
#ifndef LMC_PROGRAM_H
#define LMC_PROGRAM_H

#include "device_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* lmc_program_build_options() : the compiler options of every lmc program. */
const char *lmc_program_build_options(void);

/* lmc_program_source() : the text of cl/<name>.cl as this process sees it.
 * @return LMC_OK with *text (owned by the caller: free()); LMC_ERR_NOT_FOUND when unknown. */
lmc_status lmc_program_source(const char *name, char **text);

/* lmc_program_get() : the program `name` built for `device` with `preamble` (#define lines, may
 * be NULL), from the cache or built now. The device owns the program: do not release it.
 * @return LMC_OK; LMC_ERR_KERNEL_BUILD with the build log in lmc_last_error(). */
lmc_status lmc_program_get(lmc_device *device, const char *name, const char *preamble,
                           cl_program *program);

/* lmc_program_build_source() : build `source` (after common.cl) for `device`, uncached; `label`
 * names it in messages. The caller owns *program (clReleaseProgram).
 * @return LMC_OK; LMC_ERR_KERNEL_BUILD with the build log in lmc_last_error(). */
lmc_status lmc_program_build_source(lmc_device *device, const char *label, const char *source,
                                    const char *preamble, cl_program *program);

/* The on-disk binary cache. A compiled program is stored under the cache folder, keyed by the
 * SHA-256 of (cache format version, platform, device name, driver version, build options,
 * preamble, common.cl, source), so that any change to one of them misses. The folder is
 * $LMC_CACHE_DIR, else $XDG_CACHE_HOME/lmc, else $HOME/.cache/lmc; LMC_CACHE_DIR=off disables
 * the cache. Files are written to a temporary name and renamed; a file that is unreadable,
 * truncated or fails its checksum is ignored and rebuilt, silently. Simulators are not cached.
 * lmc_program_cache_dir() : the folder in use, or "" when the cache is off. Into buf (cap). */
void lmc_program_cache_dir(char *buf, size_t cap);

/* lmc_kernel_create() : kernel `kernel` of program `name` (no preamble). Caller owns *out. */
lmc_status lmc_kernel_create(lmc_device *device, const char *name, const char *kernel,
                             cl_kernel *out);

#ifdef __cplusplus
}
#endif
#endif /* LMC_PROGRAM_H */
