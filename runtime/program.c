/* program.c : build OpenCL programs from the kernels of cl/ and cache them per device.
 *
 * The one place build options live. Exactness (DESIGN.md §3) rules them: no relaxed-math,
 * mad or unsafe options ever; contraction is switched off in cl/common.cl itself, which every
 * program begins with. The cache key is (program name, preamble); a device's cache dies with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl_registry.h"
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
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.cl", dir, name);
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
    return lmc_set_error(LMC_ERR_NOT_FOUND, "no kernel file cl/%s.cl is embedded in this build", name);
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

    /* preamble, then common.cl, then the op file: one program (STYLE.md §4). */
    const char *parts[3] = {preamble ? preamble : "", common, source};
    cl_int err = CL_SUCCESS;
    cl_program built = clCreateProgramWithSource(device->context, 3, parts, NULL, &err);
    free(common);
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
    snprintf(label, sizeof label, "cl/%s.cl", name);
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
