/* device.c : enumerate OpenCL platforms and devices, select one by the rules of DESIGN.md §6,
 * and open a context + in-order queue on it. cpu-ref, the plain-C reference, is always listed.
 *
 * Indices are the OpenCL loader's own platform and device order, so "P.D" means the same here
 * as in clinfo. A platform that fails to enumerate is skipped with a log message rather than
 * hiding every other device. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "lmc/version.h"

const char *lmc_cl_error_name(cl_int code) {
    switch (code) {
#define LMC_CL_ERR(x) \
    case x: return #x;
        LMC_CL_ERR(CL_SUCCESS)
        LMC_CL_ERR(CL_DEVICE_NOT_FOUND)
        LMC_CL_ERR(CL_DEVICE_NOT_AVAILABLE)
        LMC_CL_ERR(CL_COMPILER_NOT_AVAILABLE)
        LMC_CL_ERR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        LMC_CL_ERR(CL_OUT_OF_RESOURCES)
        LMC_CL_ERR(CL_OUT_OF_HOST_MEMORY)
        LMC_CL_ERR(CL_PROFILING_INFO_NOT_AVAILABLE)
        LMC_CL_ERR(CL_MEM_COPY_OVERLAP)
        LMC_CL_ERR(CL_IMAGE_FORMAT_MISMATCH)
        LMC_CL_ERR(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        LMC_CL_ERR(CL_BUILD_PROGRAM_FAILURE)
        LMC_CL_ERR(CL_MAP_FAILURE)
        LMC_CL_ERR(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        LMC_CL_ERR(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        LMC_CL_ERR(CL_COMPILE_PROGRAM_FAILURE)
        LMC_CL_ERR(CL_LINKER_NOT_AVAILABLE)
        LMC_CL_ERR(CL_LINK_PROGRAM_FAILURE)
        LMC_CL_ERR(CL_DEVICE_PARTITION_FAILED)
        LMC_CL_ERR(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        LMC_CL_ERR(CL_INVALID_VALUE)
        LMC_CL_ERR(CL_INVALID_DEVICE_TYPE)
        LMC_CL_ERR(CL_INVALID_PLATFORM)
        LMC_CL_ERR(CL_INVALID_DEVICE)
        LMC_CL_ERR(CL_INVALID_CONTEXT)
        LMC_CL_ERR(CL_INVALID_QUEUE_PROPERTIES)
        LMC_CL_ERR(CL_INVALID_COMMAND_QUEUE)
        LMC_CL_ERR(CL_INVALID_HOST_PTR)
        LMC_CL_ERR(CL_INVALID_MEM_OBJECT)
        LMC_CL_ERR(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        LMC_CL_ERR(CL_INVALID_IMAGE_SIZE)
        LMC_CL_ERR(CL_INVALID_SAMPLER)
        LMC_CL_ERR(CL_INVALID_BINARY)
        LMC_CL_ERR(CL_INVALID_BUILD_OPTIONS)
        LMC_CL_ERR(CL_INVALID_PROGRAM)
        LMC_CL_ERR(CL_INVALID_PROGRAM_EXECUTABLE)
        LMC_CL_ERR(CL_INVALID_KERNEL_NAME)
        LMC_CL_ERR(CL_INVALID_KERNEL_DEFINITION)
        LMC_CL_ERR(CL_INVALID_KERNEL)
        LMC_CL_ERR(CL_INVALID_ARG_INDEX)
        LMC_CL_ERR(CL_INVALID_ARG_VALUE)
        LMC_CL_ERR(CL_INVALID_ARG_SIZE)
        LMC_CL_ERR(CL_INVALID_KERNEL_ARGS)
        LMC_CL_ERR(CL_INVALID_WORK_DIMENSION)
        LMC_CL_ERR(CL_INVALID_WORK_GROUP_SIZE)
        LMC_CL_ERR(CL_INVALID_WORK_ITEM_SIZE)
        LMC_CL_ERR(CL_INVALID_GLOBAL_OFFSET)
        LMC_CL_ERR(CL_INVALID_EVENT_WAIT_LIST)
        LMC_CL_ERR(CL_INVALID_EVENT)
        LMC_CL_ERR(CL_INVALID_OPERATION)
        LMC_CL_ERR(CL_INVALID_GL_OBJECT)
        LMC_CL_ERR(CL_INVALID_BUFFER_SIZE)
        LMC_CL_ERR(CL_INVALID_MIP_LEVEL)
        LMC_CL_ERR(CL_INVALID_GLOBAL_WORK_SIZE)
        LMC_CL_ERR(CL_INVALID_PROPERTY)
        LMC_CL_ERR(CL_INVALID_IMAGE_DESCRIPTOR)
        LMC_CL_ERR(CL_INVALID_COMPILER_OPTIONS)
        LMC_CL_ERR(CL_INVALID_LINKER_OPTIONS)
        LMC_CL_ERR(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef LMC_CL_ERR
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
    }
}

/* Copy at most cap-1 bytes and always terminate; trailing spaces (some drivers pad names) go. */
static void copy_text(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0')) n--;
    dst[n] = '\0';
}

static void query_device_text(cl_device_id id, cl_device_info what, char *dst, size_t cap) {
    char buffer[1024] = {0};
    if (clGetDeviceInfo(id, what, sizeof buffer - 1, buffer, NULL) != CL_SUCCESS) buffer[0] = '\0';
    copy_text(dst, cap, buffer);
}

static int contains_nocase(const char *haystack, const char *needle) {
    size_t hn = strlen(haystack), nn = strlen(needle);
    if (nn == 0) return 0;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && tolower((unsigned char)haystack[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == nn) return 1;
    }
    return 0;
}

static void describe_opencl_device(cl_platform_id platform, cl_device_id id, int p, int d,
                                   lmc_device_info *info) {
    memset(info, 0, sizeof *info);
    info->kind = LMC_DEVICE_KIND_OPENCL;
    info->platform_index = p;
    info->device_index = d;
    snprintf(info->selector, sizeof info->selector, "%d.%d", p, d);

    char platform_name[512] = {0};
    if (clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof platform_name - 1, platform_name, NULL) !=
        CL_SUCCESS)
        platform_name[0] = '\0';
    copy_text(info->platform, sizeof info->platform, platform_name);
    query_device_text(id, CL_DEVICE_NAME, info->name, sizeof info->name);
    query_device_text(id, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    query_device_text(id, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    query_device_text(id, CL_DEVICE_OPENCL_C_VERSION, info->opencl_c_version,
                      sizeof info->opencl_c_version);

    cl_device_type type = 0;
    clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    const char *type_name = (type & CL_DEVICE_TYPE_GPU)           ? "GPU"
                            : (type & CL_DEVICE_TYPE_CPU)         ? "CPU"
                            : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                                                                  : "other";
    copy_text(info->type, sizeof info->type, type_name);
    info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    info->is_simulator = contains_nocase(info->platform, "oclgrind");

    cl_uint units = 0;
    cl_ulong global_mem = 0, max_alloc = 0;
    size_t max_wg = 0;
    cl_device_fp_config fp = 0;
    clGetDeviceInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
    clGetDeviceInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global_mem, &global_mem, NULL);
    clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
    clGetDeviceInfo(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof max_wg, &max_wg, NULL);
    clGetDeviceInfo(id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof fp, &fp, NULL);
    info->compute_units = units;
    info->global_mem_bytes = global_mem;
    info->max_alloc_bytes = max_alloc;
    info->max_work_group_size = max_wg;
    info->fp32_denormals = (fp & CL_FP_DENORM) != 0;
    info->fp32_fma = (fp & CL_FP_FMA) != 0;
    info->fp32_correctly_rounded_div_sqrt = (fp & CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0;
}

static void describe_cpu_ref(lmc_device_info *info) {
    memset(info, 0, sizeof *info);
    info->kind = LMC_DEVICE_KIND_CPU_REF;
    info->platform_index = -1;
    info->device_index = -1;
    copy_text(info->selector, sizeof info->selector, "cpu-ref");
    copy_text(info->platform, sizeof info->platform, "lmc");
    copy_text(info->name, sizeof info->name, "cpu-ref");
    copy_text(info->vendor, sizeof info->vendor, "lmc plain-C reference");
    copy_text(info->driver_version, sizeof info->driver_version, lmc_version_string());
    copy_text(info->opencl_c_version, sizeof info->opencl_c_version, "none");
    copy_text(info->type, sizeof info->type, "reference");
    info->compute_units = 1;
    /* IEEE-754 binary32 in C with -ffp-contract=off: denormals kept, fma only when asked for,
     * division and square root correctly rounded. */
    info->fp32_denormals = 1;
    info->fp32_fma = 1;
    info->fp32_correctly_rounded_div_sqrt = 1;
}

lmc_status lmc_devices_list(lmc_device_info **list, size_t *count) {
    LMC_RETURN_IF(!list || !count, LMC_ERR_INVALID_ARGUMENT, "lmc_devices_list: NULL output");
    *list = NULL;
    *count = 0;

    cl_uint n_platforms = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &n_platforms);
    if (err != CL_SUCCESS) n_platforms = 0; /* no ICD installed: cpu-ref only */
    cl_platform_id *platforms = NULL;
    if (n_platforms > 0) {
        platforms = calloc(n_platforms, sizeof *platforms);
        LMC_RETURN_IF(!platforms, LMC_ERR_OUT_OF_MEMORY, "lmc_devices_list: out of memory");
        if (clGetPlatformIDs(n_platforms, platforms, NULL) != CL_SUCCESS) n_platforms = 0;
    }

    size_t cap = 8, n = 0;
    lmc_device_info *out = malloc(cap * sizeof *out);
    if (!out) {
        free(platforms);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "lmc_devices_list: out of memory");
    }
    for (cl_uint p = 0; p < n_platforms; p++) {
        cl_uint n_devices = 0;
        err = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n_devices);
        if (err != CL_SUCCESS || n_devices == 0) {
            if (err != CL_DEVICE_NOT_FOUND)
                lmc_log(LMC_LOG_WARN, "OpenCL platform %u skipped: clGetDeviceIDs gave %s", p,
                        lmc_cl_error_name(err));
            continue;
        }
        cl_device_id *ids = calloc(n_devices, sizeof *ids);
        if (!ids || clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, n_devices, ids, NULL) != CL_SUCCESS) {
            free(ids);
            continue;
        }
        for (cl_uint d = 0; d < n_devices; d++) {
            if (n + 1 >= cap) {
                lmc_device_info *grown = realloc(out, 2 * cap * sizeof *out);
                if (!grown) {
                    free(ids);
                    free(platforms);
                    free(out);
                    return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "lmc_devices_list: out of memory");
                }
                out = grown;
                cap *= 2;
            }
            describe_opencl_device(platforms[p], ids[d], (int)p, (int)d, &out[n++]);
        }
        free(ids);
    }
    free(platforms);
    describe_cpu_ref(&out[n++]); /* cap always leaves room for it */
    *list = out;
    *count = n;
    return LMC_OK;
}

void lmc_devices_free(lmc_device_info *list) { free(list); }

/* "P.D" with decimal digits on both sides. */
static int parse_index_pair(const char *s, int *p, int *d) {
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || dot[1] == '\0') return 0;
    for (const char *c = s; *c; c++)
        if (c != dot && !isdigit((unsigned char)*c)) return 0;
    *p = atoi(s);
    *d = atoi(dot + 1);
    return 1;
}

static void append_device_line(const lmc_device_info *info) {
    if (info->kind == LMC_DEVICE_KIND_CPU_REF)
        lmc_append_error("\n  cpu-ref  (plain-C reference)");
    else
        lmc_append_error("\n  %-7s  %s / %s", info->selector, info->platform, info->name);
}

lmc_status lmc_devices_select(const lmc_device_info *list, size_t count, const char *selector,
                              size_t *index) {
    LMC_RETURN_IF(!list || !selector || !index, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_devices_select: NULL argument");
    int p, d;
    if (strcmp(selector, "cpu-ref") == 0 || parse_index_pair(selector, &p, &d)) {
        for (size_t i = 0; i < count; i++)
            if (strcmp(list[i].selector, selector) == 0) {
                *index = i;
                return LMC_OK;
            }
    } else if (selector[0] != '\0') {
        size_t matches = 0, first = 0;
        char haystack[2 * LMC_DEVICE_TEXT_CAP + 2];
        for (size_t i = 0; i < count; i++) {
            snprintf(haystack, sizeof haystack, "%s %s", list[i].platform, list[i].name);
            if (contains_nocase(haystack, selector)) {
                if (matches++ == 0) first = i;
            }
        }
        if (matches == 1) {
            *index = first;
            return LMC_OK;
        }
        if (matches > 1) {
            lmc_set_error(LMC_ERR_DEVICE_AMBIGUOUS,
                          "device selector '%s' matches %zu devices; name one by P.D or a longer "
                          "substring:", selector, matches);
            for (size_t i = 0; i < count; i++) {
                snprintf(haystack, sizeof haystack, "%s %s", list[i].platform, list[i].name);
                if (contains_nocase(haystack, selector)) append_device_line(&list[i]);
            }
            return LMC_ERR_DEVICE_AMBIGUOUS;
        }
    }
    lmc_set_error(LMC_ERR_DEVICE_NOT_FOUND, "no device matches '%s'; the devices are:", selector);
    for (size_t i = 0; i < count; i++) append_device_line(&list[i]);
    return LMC_ERR_DEVICE_NOT_FOUND;
}

lmc_status lmc_devices_select_many(const lmc_device_info *list, size_t count, const char *selectors,
                                   size_t *indices, size_t cap, size_t *n) {
    LMC_RETURN_IF(!list || !selectors || !indices || !n, LMC_ERR_INVALID_ARGUMENT,
                  "lmc_devices_select_many: NULL argument");
    *n = 0;
    char *copy = malloc(strlen(selectors) + 1);
    LMC_RETURN_IF(!copy, LMC_ERR_OUT_OF_MEMORY, "out of memory");
    strcpy(copy, selectors);
    lmc_status status = LMC_OK;
    char *cursor = copy;
    int any = 0;
    while (status == LMC_OK && cursor) {
        char *comma = strchr(cursor, ',');
        if (comma) *comma = '\0';
        /* trim spaces around each item */
        while (*cursor == ' ') cursor++;
        size_t len = strlen(cursor);
        while (len > 0 && cursor[len - 1] == ' ') cursor[--len] = '\0';
        size_t picked[1024];
        size_t n_picked = 0;
        if (strcmp(cursor, "all") == 0) {
            for (size_t i = 0; i < count && n_picked < 1024; i++)
                if (!list[i].is_simulator) picked[n_picked++] = i;
        } else if (len > 0) {
            status = lmc_devices_select(list, count, cursor, &picked[0]);
            n_picked = status == LMC_OK;
        }
        for (size_t k = 0; status == LMC_OK && k < n_picked; k++) {
            int seen = 0;
            for (size_t j = 0; j < *n; j++) seen |= indices[j] == picked[k];
            if (seen) continue;
            if (*n == cap) {
                status = lmc_set_error(LMC_ERR_BUFFER_TOO_SMALL, "more than %zu devices selected", cap);
                break;
            }
            indices[(*n)++] = picked[k];
        }
        any |= len > 0;
        cursor = comma ? comma + 1 : NULL;
    }
    free(copy);
    if (status == LMC_OK && !any)
        status = lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "empty device list '%s'", selectors);
    return status;
}

lmc_status lmc_devices_default(const lmc_device_info *list, size_t count, size_t *index) {
    LMC_RETURN_IF(!list || !index, LMC_ERR_INVALID_ARGUMENT, "lmc_devices_default: NULL argument");
    const char *env = getenv("LMC_DEVICE");
    if (env && env[0]) {
        lmc_status status = lmc_devices_select(list, count, env, index);
        if (status != LMC_OK) lmc_set_error(status, "LMC_DEVICE=%s: %s", env, lmc_last_error());
        return status;
    }
    /* First GPU, then PoCL's pthread device, then any other PoCL device, then cpu-ref. */
    for (size_t i = 0; i < count; i++)
        if (list[i].is_gpu && !list[i].is_simulator) return *index = i, LMC_OK;
    for (size_t i = 0; i < count; i++)
        if (contains_nocase(list[i].platform, "portable computing language") &&
            contains_nocase(list[i].name, "pthread"))
            return *index = i, LMC_OK;
    for (size_t i = 0; i < count; i++)
        if (contains_nocase(list[i].platform, "portable computing language")) return *index = i, LMC_OK;
    for (size_t i = 0; i < count; i++)
        if (list[i].kind == LMC_DEVICE_KIND_CPU_REF) return *index = i, LMC_OK;
    return lmc_set_error(LMC_ERR_DEVICE_NOT_FOUND, "no device at all (cpu-ref missing from list)");
}

lmc_status lmc_device_create(const lmc_device_info *info, lmc_device **out) {
    LMC_RETURN_IF(!info || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_device_create: NULL argument");
    *out = NULL;
    lmc_device *device = calloc(1, sizeof *device);
    LMC_RETURN_IF(!device, LMC_ERR_OUT_OF_MEMORY, "out of memory");
    device->info = *info;
    if (info->kind == LMC_DEVICE_KIND_CPU_REF) {
        *out = device;
        return LMC_OK;
    }

    lmc_status status = LMC_OK;
    cl_uint n_platforms = 0;
    cl_platform_id *platforms = NULL;
    cl_device_id *ids = NULL;
    cl_int err = clGetPlatformIDs(0, NULL, &n_platforms);
    if (err != CL_SUCCESS || (cl_uint)info->platform_index >= n_platforms) {
        status = lmc_set_error(LMC_ERR_DEVICE_NOT_FOUND, "OpenCL platform %d is gone", info->platform_index);
        goto fail;
    }
    platforms = calloc(n_platforms, sizeof *platforms);
    if (!platforms || clGetPlatformIDs(n_platforms, platforms, NULL) != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "clGetPlatformIDs failed");
        goto fail;
    }
    device->platform = platforms[info->platform_index];
    cl_uint n_devices = 0;
    err = clGetDeviceIDs(device->platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n_devices);
    if (err != CL_SUCCESS || (cl_uint)info->device_index >= n_devices) {
        status = lmc_set_error(LMC_ERR_DEVICE_NOT_FOUND, "OpenCL device %s is gone", info->selector);
        goto fail;
    }
    ids = calloc(n_devices, sizeof *ids);
    if (!ids || clGetDeviceIDs(device->platform, CL_DEVICE_TYPE_ALL, n_devices, ids, NULL) != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "clGetDeviceIDs failed");
        goto fail;
    }
    device->id = ids[info->device_index];

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)device->platform, 0};
    device->context = clCreateContext(props, 1, &device->id, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "clCreateContext on %s failed: %s", info->selector,
                               lmc_cl_error_name(err));
        goto fail;
    }
#ifdef LMC_OPENCL_PROFILING /* every queue profiled from the start; else profile.c turns it on */
    cl_command_queue_properties queue_props = CL_QUEUE_PROFILING_ENABLE;
#else
    cl_command_queue_properties queue_props = 0;
#endif
    device->queue = clCreateCommandQueue(device->context, device->id, queue_props, &err);
    if (err != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "clCreateCommandQueue on %s failed: %s", info->selector,
                               lmc_cl_error_name(err));
        goto fail;
    }
    free(platforms);
    free(ids);
    *out = device;
    return LMC_OK;

fail:
    free(platforms);
    free(ids);
    lmc_device_destroy(device);
    return status;
}

lmc_status lmc_device_open(const char *selector, lmc_device **out) {
    LMC_RETURN_IF(!out, LMC_ERR_INVALID_ARGUMENT, "lmc_device_open: NULL output");
    *out = NULL;
    lmc_device_info *list = NULL;
    size_t count = 0, index = 0;
    LMC_TRY(lmc_devices_list(&list, &count));
    lmc_status status = selector ? lmc_devices_select(list, count, selector, &index)
                                 : lmc_devices_default(list, count, &index);
    if (status == LMC_OK) status = lmc_device_create(&list[index], out);
    lmc_devices_free(list);
    return status;
}

void lmc_device_destroy(lmc_device *device) {
    if (!device) return;
    lmc_program_entry *entry = device->programs;
    while (entry) {
        lmc_program_entry *next = entry->next;
        clReleaseProgram(entry->program);
        free(entry->name);
        free(entry->preamble);
        free(entry);
        entry = next;
    }
    lmc_device_profile_free_(device);
    if (device->queue) clReleaseCommandQueue(device->queue);
    if (device->context) clReleaseContext(device->context);
    free(device);
}

const lmc_device_info *lmc_device_get_info(const lmc_device *device) {
    return device ? &device->info : NULL;
}
