/* program.c : build OpenCL programs from the kernels of cl/ and cache them, in process per
 * device and on disk across runs.
 *
 * The one place build options live. Exactness (DESIGN.md §3) rules them: no relaxed-math,
 * mad or unsafe options ever; contraction is switched off in cl/common.cl itself, which every
 * program begins with. The in-process key is (program name, preamble); a device's cache dies
 * with it. The disk cache (program.h) only ever saves compile time: whatever goes wrong with it,
 * the program is built from source as if it were absent. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl_registry.h"
#include "lmc/sha256.h"
#include "program.h"

static const char lmc_build_options[] = "-cl-std=CL1.2";

const char *lmc_program_build_options(void) { return lmc_build_options; }

static char *read_text_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            text = malloc((size_t)size + 1);
            if (text && fread(text, 1, (size_t)size, f) == (size_t)size) {
                text[size] = '\0';
            } else {
                free(text);
                text = NULL;
            }
        }
    }
    fclose(f);
    return text;
}

static char *duplicate(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

/* Where kernel `name` lives under cl/ ("model/attention"); a name this build does not embed is
 * taken as a path of its own. */
static const char *kernel_path(const char *name) {
    for (size_t i = 0; i < lmc_cl_registry_count; i++)
        if (strcmp(lmc_cl_registry[i].name, name) == 0) return lmc_cl_registry[i].path;
    return name;
}

/* The folder to read kernels from instead of the embedded copies, or NULL. */
static const char *kernel_dir(void) {
    const char *dir = getenv("LMC_KERNEL_DIR");
    if (dir && dir[0]) return dir;
#ifdef LMC_CL_SOURCE_DIR
    return LMC_CL_SOURCE_DIR; /* built with LMC_EMBED_KERNELS=OFF */
#else
    return NULL;
#endif
}

lmc_status lmc_program_source(const char *name, char **text) {
    LMC_RETURN_IF(!name || !text, LMC_ERR_INVALID_ARGUMENT, "lmc_program_source: NULL argument");
    *text = NULL;
    const char *dir = kernel_dir();
    if (dir) {
        /* A kernel this build knows is read from its own subfolder (cl/model/attention.cl);
         * any other name from the folder itself. */
        const char *relative = kernel_path(name);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.cl", dir, relative);
        *text = read_text_file(path);
        LMC_RETURN_IF(!*text, LMC_ERR_NOT_FOUND, "kernel source %s cannot be read (LMC_KERNEL_DIR=%s)",
                      path, dir);
        return LMC_OK;
    }
    for (size_t i = 0; i < lmc_cl_registry_count; i++)
        if (strcmp(lmc_cl_registry[i].name, name) == 0) {
            *text = duplicate(lmc_cl_registry[i].text);
            LMC_RETURN_IF(!*text, LMC_ERR_OUT_OF_MEMORY, "out of memory");
            return LMC_OK;
        }
    return lmc_set_error(LMC_ERR_NOT_FOUND, "no kernel file %s.cl is embedded in this build", name);
}

/* ---- on-disk binary cache (program.h) ---------------------------------------------------- */

/* Bump when the file layout or the key's contents change: old files then simply miss. */
#define LMC_PROGRAM_CACHE_VERSION "lmc-program-cache-1"
static const char cache_magic[8] = {'L', 'M', 'C', 'P', 'B', 'I', 'N', '1'};

void lmc_program_cache_dir(char *buf, size_t cap) {
    const char *dir = getenv("LMC_CACHE_DIR");
    if (dir && (strcmp(dir, "off") == 0 || dir[0] == '\0')) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    if (dir) {
        snprintf(buf, cap, "%s", dir);
        return;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0])
        snprintf(buf, cap, "%s/lmc", xdg);
    else if (home && home[0])
        snprintf(buf, cap, "%s/.cache/lmc", home);
    else
        snprintf(buf, cap, "%s", "");
}

/* mkdir -p; failure only disables the cache. */
static int make_dirs(const char *path) {
    char partial[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof partial) return 0;
    memcpy(partial, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (partial[i] == '/' || partial[i] == '\0') {
            char saved = partial[i];
            partial[i] = '\0';
            if (mkdir(partial, 0755) != 0 && errno != EEXIST) return 0;
            partial[i] = saved;
        }
    }
    return 1;
}

static void hash_text(lmc_sha256_ctx *ctx, const char *text) {
    lmc_sha256_update(ctx, text, strlen(text) + 1); /* the NUL separates the fields */
}

/* The cache file for this program on this device; 0 when the cache is off for it. */
static int cache_path_for(const lmc_device *device, const char *const parts[3], char *path, size_t cap) {
    char dir[4096];
    lmc_program_cache_dir(dir, sizeof dir);
    if (dir[0] == '\0' || device->info.is_simulator) return 0;
    lmc_sha256_ctx ctx;
    lmc_sha256_init(&ctx);
    hash_text(&ctx, LMC_PROGRAM_CACHE_VERSION);
    hash_text(&ctx, device->info.platform);
    hash_text(&ctx, device->info.name);
    hash_text(&ctx, device->info.driver_version);
    hash_text(&ctx, lmc_build_options);
    for (int i = 0; i < 3; i++) hash_text(&ctx, parts[i]);
    uint8_t digest[32];
    char hex[65];
    lmc_sha256_final(&ctx, digest);
    lmc_sha256_hex(digest, hex);
    int written = snprintf(path, cap, "%s/%s.clbin", dir, hex);
    return written > 0 && (size_t)written < cap;
}

/* File: magic (8) | binary size (8, little-endian) | SHA-256 of the binary (32) | binary. */
static int load_cached_binary(lmc_device *device, const char *path, cl_program *program) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint8_t header[48];
    unsigned char *binary = NULL;
    int ok = 0;
    if (fread(header, 1, sizeof header, f) == sizeof header && memcmp(header, cache_magic, 8) == 0) {
        uint64_t size = 0;
        for (int i = 0; i < 8; i++) size |= (uint64_t)header[8 + i] << (8 * i);
        if (size > 0 && size < (1ull << 30) && (binary = malloc((size_t)size)) &&
            fread(binary, 1, (size_t)size, f) == size && fgetc(f) == EOF) {
            uint8_t digest[32];
            lmc_sha256(binary, (size_t)size, digest);
            if (memcmp(digest, header + 16, 32) == 0) {
                size_t length = (size_t)size;
                const unsigned char *binaries[1] = {binary};
                cl_int binary_status = CL_SUCCESS, err = CL_SUCCESS;
                cl_program loaded = clCreateProgramWithBinary(device->context, 1, &device->id, &length,
                                                              binaries, &binary_status, &err);
                if (err == CL_SUCCESS && binary_status == CL_SUCCESS &&
                    clBuildProgram(loaded, 1, &device->id, lmc_build_options, NULL, NULL) == CL_SUCCESS) {
                    *program = loaded;
                    ok = 1;
                } else if (loaded) {
                    clReleaseProgram(loaded);
                }
            }
        }
    }
    free(binary);
    fclose(f);
    if (!ok) lmc_log(LMC_LOG_DEBUG, "program cache: %s unusable, building from source", path);
    return ok;
}

static void store_cached_binary(const lmc_device *device, cl_program program, const char *path) {
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *binary = malloc(size);
    unsigned char *binaries[1] = {binary};
    if (!binary || clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof binaries, binaries, NULL) != CL_SUCCESS) {
        free(binary);
        return;
    }
    char dir[4096];
    lmc_program_cache_dir(dir, sizeof dir);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = make_dirs(dir) ? fopen(tmp, "wb") : NULL;
    if (f) {
        uint8_t header[48];
        memcpy(header, cache_magic, 8);
        for (int i = 0; i < 8; i++) header[8 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        memset(header + 16, 0, 32);
        lmc_sha256(binary, size, header + 16);
        int ok = fwrite(header, 1, sizeof header, f) == sizeof header && fwrite(binary, 1, size, f) == size;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) remove(tmp);
    }
    (void)device;
    free(binary);
}

lmc_status lmc_program_build_source(lmc_device *device, const char *label, const char *source,
                                    const char *preamble, cl_program *program) {
    LMC_RETURN_IF(!device || !label || !source || !program, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_program_build_source: NULL argument");
    LMC_RETURN_IF(device->info.kind != LMC_DEVICE_KIND_OPENCL, LMC_ERR_UNSUPPORTED,
                  "%s is not an OpenCL device", device->info.selector);
    *program = NULL;
    char *common = NULL;
    LMC_TRY(lmc_program_source("common", &common));
    /* preamble, then common.cl, then the op file: one program. */
    const char *parts[3] = {preamble ? preamble : "", common, source};
    char cache_path[4096];
    int cached = cache_path_for(device, parts, cache_path, sizeof cache_path);
    if (cached && load_cached_binary(device, cache_path, program)) {
        free(common);
        device->programs_from_disk++;
        return LMC_OK;
    }
    cl_int err = CL_SUCCESS;
    cl_program built = clCreateProgramWithSource(device->context, 3, parts, NULL, &err);
    free(common); /* the OpenCL implementation has copied the sources */
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "clCreateProgramWithSource(%s) failed: %s", label,
                  lmc_cl_error_name(err));
    err = clBuildProgram(built, 1, &device->id, lmc_build_options, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t log_size = 0;
        clGetProgramBuildInfo(built, device->id, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
        char *log = malloc(log_size + 1);
        if (log && clGetProgramBuildInfo(built, device->id, CL_PROGRAM_BUILD_LOG, log_size, log, NULL) == CL_SUCCESS)
            log[log_size] = '\0';
        else if (log)
            log[0] = '\0';
        lmc_set_error(LMC_ERR_KERNEL_BUILD, "building kernel %s for %s (%s) failed: %s\nbuild log:\n%s",
                      label, device->info.selector, device->info.name, lmc_cl_error_name(err),
                      log ? log : "(no memory for the log)");
        free(log);
        clReleaseProgram(built);
        return LMC_ERR_KERNEL_BUILD;
    }
    device->programs_from_source++;
    if (cached) store_cached_binary(device, built, cache_path);
    *program = built;
    return LMC_OK;
}

lmc_status lmc_program_get(lmc_device *device, const char *name, const char *preamble,
                           cl_program *program) {
    LMC_RETURN_IF(!device || !name || !program, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_program_get: NULL argument");
    const char *key_preamble = preamble ? preamble : "";
    for (lmc_program_entry *e = device->programs; e; e = e->next)
        if (strcmp(e->name, name) == 0 && strcmp(e->preamble, key_preamble) == 0) {
            *program = e->program;
            return LMC_OK;
        }

    char *source = NULL;
    LMC_TRY(lmc_program_source(name, &source));
    char label[256];
    const char *relative = kernel_path(name);
    snprintf(label, sizeof label, "cl/%s.cl", relative);
    cl_program built = NULL;
    lmc_status status = lmc_program_build_source(device, label, source, key_preamble, &built);
    free(source);
    LMC_TRY(status);

    lmc_program_entry *entry = calloc(1, sizeof *entry);
    if (entry) {
        entry->name = duplicate(name);
        entry->preamble = duplicate(key_preamble);
    }
    if (!entry || !entry->name || !entry->preamble) {
        if (entry) {
            free(entry->name);
            free(entry->preamble);
        }
        free(entry);
        clReleaseProgram(built);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory");
    }
    entry->program = built;
    entry->next = device->programs;
    device->programs = entry;
    *program = built;
    return LMC_OK;
}

lmc_status lmc_kernel_create(lmc_device *device, const char *name, const char *kernel, cl_kernel *out) {
    LMC_RETURN_IF(!out, LMC_ERR_INVALID_ARGUMENT, "lmc_kernel_create: NULL output");
    cl_program program = NULL;
    LMC_TRY(lmc_program_get(device, name, NULL, &program));
    cl_int err = CL_SUCCESS;
    *out = clCreateKernel(program, kernel, &err);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "clCreateKernel(%s in cl/%s.cl) failed: %s", kernel,
                  name, lmc_cl_error_name(err));
    return LMC_OK;
}
