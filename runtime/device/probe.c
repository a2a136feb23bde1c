/* probe.c : run the fixed-order dot product of cl/device/probe.cl on a device, or its plain-C twin on
 * cpu-ref. It shows, in a few milliseconds, whether a device follows the float rules exact
 * coding relies on (DESIGN.md §3); `lmc devices --check` and the cross-device tests use it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device_internal.h"
#include "program.h"
#include "ref_probe.h"

static lmc_status probe_opencl(lmc_device *device, const float *a, const float *b, size_t rows,
                               size_t K, int contracted, float *out) {
    lmc_status status = LMC_OK;
    cl_int err = CL_SUCCESS;
    cl_mem a_buf = NULL, b_buf = NULL, out_buf = NULL;
    cl_kernel kernel = NULL;
    LMC_TRY(lmc_kernel_create(device, "probe", contracted ? "probe_dot_contracted" : "probe_dot", &kernel));

    a_buf = clCreateBuffer(device->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                           rows * K * sizeof(float), (void *)(uintptr_t)a, &err);
    if (err == CL_SUCCESS)
        b_buf = clCreateBuffer(device->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, K * sizeof(float),
                               (void *)(uintptr_t)b, &err);
    if (err == CL_SUCCESS)
        out_buf = clCreateBuffer(device->context, CL_MEM_WRITE_ONLY, rows * sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "probe buffers on %s: %s", device->info.selector,
                               lmc_cl_error_name(err));
        goto done;
    }
    cl_int k_arg = (cl_int)K;
    err = clSetKernelArg(kernel, 0, sizeof a_buf, &a_buf);
    err |= clSetKernelArg(kernel, 1, sizeof b_buf, &b_buf);
    err |= clSetKernelArg(kernel, 2, sizeof out_buf, &out_buf);
    err |= clSetKernelArg(kernel, 3, sizeof k_arg, &k_arg);
    if (err != CL_SUCCESS) {
        status = lmc_set_error(LMC_ERR_OPENCL, "probe kernel arguments on %s", device->info.selector);
        goto done;
    }
    size_t global = rows;
    err = clEnqueueNDRangeKernel(device->queue, kernel, 1, NULL, &global, NULL, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clEnqueueReadBuffer(device->queue, out_buf, CL_TRUE, 0, rows * sizeof(float), out, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        status = lmc_set_error(LMC_ERR_OPENCL, "probe run on %s: %s", device->info.selector,
                               lmc_cl_error_name(err));
done:
    if (a_buf) clReleaseMemObject(a_buf);
    if (b_buf) clReleaseMemObject(b_buf);
    if (out_buf) clReleaseMemObject(out_buf);
    clReleaseKernel(kernel);
    return status;
}

lmc_status lmc_device_probe_dot(lmc_device *device, const float *a, const float *b, size_t rows,
                                size_t K, int contracted, float *out) {
    LMC_RETURN_IF(!device || !a || !b || !out || rows == 0 || K == 0 || K > 1u << 20,
                  LMC_ERR_INVALID_ARGUMENT, "lmc_device_probe_dot: bad arguments");
    if (device->info.kind == LMC_DEVICE_KIND_CPU_REF) {
        if (contracted)
            lmc_ref_probe_dot_fused(a, b, rows, K, out);
        else
            lmc_ref_probe_dot(a, b, rows, K, out);
        return LMC_OK;
    }
    return probe_opencl(device, a, b, rows, K, contracted, out);
}

/* Fixed inputs: values of mixed sign and magnitude (a 32-bit LCG mapped to [-1, 1) and scaled by
 * powers of two), so that one or two roundings per step give different sums on most rows. */
static void fill_probe_inputs(float *values, size_t n, uint32_t seed) {
    uint32_t state = seed;
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        float unit = (float)(state >> 8) / 16777216.0f * 2.0f - 1.0f;
        values[i] = unit * (float)(1u << (state & 7u));
    }
}

lmc_status lmc_device_check_exact(lmc_device *device, int *exact, int *contraction_differs) {
    enum { ROWS = 256, K = 257 };
    LMC_RETURN_IF(!device, LMC_ERR_INVALID_ARGUMENT, "lmc_device_check_exact: NULL device");
    float *a = malloc(sizeof(float) * ROWS * K);
    float *b = malloc(sizeof(float) * K);
    float *want = malloc(sizeof(float) * ROWS);
    float *got = malloc(sizeof(float) * ROWS);
    float *got_contracted = malloc(sizeof(float) * ROWS);
    lmc_status status = LMC_OK;
    if (!a || !b || !want || !got || !got_contracted) {
        status = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    fill_probe_inputs(a, (size_t)ROWS * K, 12345u);
    fill_probe_inputs(b, K, 67890u);
    lmc_ref_probe_dot(a, b, ROWS, K, want);
    status = lmc_device_probe_dot(device, a, b, ROWS, K, 0, got);
    if (status == LMC_OK) status = lmc_device_probe_dot(device, a, b, ROWS, K, 1, got_contracted);
    if (status == LMC_OK) {
        /* Compared as bits: a float == would call -0 and +0 equal. */
        if (exact) *exact = memcmp(want, got, sizeof(float) * ROWS) == 0;
        if (contraction_differs)
            *contraction_differs = memcmp(want, got_contracted, sizeof(float) * ROWS) != 0;
    }
done:
    free(a);
    free(b);
    free(want);
    free(got);
    free(got_contracted);
    return status;
}
