/* exact_int16_speed.c : the speed side of a future lmc-exact-2 on an OpenCL CPU device (docs/performance.md,
 * "The rate side of lmc-exact-2"): one row's linear layer (K inputs, N outputs, int16 weights) as
 * cl/exact/exact.cl's exd_linear computes it today (int32 x times int16 w, sign-extended, into
 * 64-bit sums, 16 columns a sweep: vpmuldq) against int16 x pairs times int16 w pairs (the weights
 * of rows 2i and 2i+1 of a column side by side), each pair's int32 sum widened into 64-bit sums
 * (vpmaddwd). Both give the same sums (checked; the inputs are within int16). Two work-groups of
 * one work-item (a decoding row each, as exb_decode runs on CPUs), REPS sweeps each; prints
 * multiply-adds per second of each, after a first launch that compiles. Uses the PoCL platform.
 * Not built by CMake (an analysis probe):
 *
 *   gcc -O2 bench/exact_int16_speed.c -lOpenCL -o build/exact_int16_speed
 *   POCL_DEVICES=pthread build/exact_int16_speed 256 64 200000      # K N REPS
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static const char *src =
    "__kernel void lin64(__global const int *x, __global const short *w, __global long *out, int K, int N, "
    "int reps) {\n"
    "  int g = get_group_id(0); long tot = 0;\n"
    "  for (int r = 0; r < reps; r++)\n"
    "  for (int j0 = 0; j0 < N; j0 += 16) {\n"
    "    ulong8 a = 0, b = 0;\n"
    "    for (int i = 0; i < K; i++) {\n"
    "      ulong8 xv = (ulong8)(ulong)(long)x[g * K + i];\n"
    "      a += xv * as_ulong8(convert_long8(vload8(0, w + (size_t)i * N + j0)));\n"
    "      b += xv * as_ulong8(convert_long8(vload8(0, w + (size_t)i * N + j0 + 8)));\n"
    "    }\n"
    "    ulong8 s = a + b; tot += (long)(s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7);\n"
    "  }\n"
    "  out[g] = tot;\n"
    "}\n"
    "// w2: (K/2, N, 2) the weights of rows 2i and 2i+1 of column j side by side\n"
    "__kernel void lin16(__global const short *x, __global const short *w2, __global long *out, int K, int "
    "N, int reps) {\n"
    "  int g = get_group_id(0); long tot = 0;\n"
    "  for (int r = 0; r < reps; r++)\n"
    "  for (int j0 = 0; j0 < N; j0 += 16) {\n"
    "    long8 a = 0, b = 0;\n"
    "    for (int i = 0; i < K; i += 2) {\n"
    "      short2 xp = vload2(0, x + g * K + i);\n"
    "      short16 xv = (short16)(xp, xp, xp, xp, xp, xp, xp, xp);\n"
    "      int16 p = convert_int16(xv) * convert_int16(vload16(0, w2 + ((size_t)(i / 2) * N + j0) * 2));\n"
    "      int16 q = convert_int16(xv) * convert_int16(vload16(0, w2 + ((size_t)(i / 2) * N + j0 + 8) * "
    "2));\n"
    "      a += convert_long8(p.even + p.odd);\n"
    "      b += convert_long8(q.even + q.odd);\n"
    "    }\n"
    "    long8 s = a + b; tot += s.s0 + s.s1 + s.s2 + s.s3 + s.s4 + s.s5 + s.s6 + s.s7;\n"
    "  }\n"
    "  out[g] = tot;\n"
    "}\n";
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
int main(int argc, char **argv) {
    int K = argc > 1 ? atoi(argv[1]) : 256, N = argc > 2 ? atoi(argv[2]) : 64, G = 2,
        reps = argc > 3 ? atoi(argv[3]) : 2000;
    if (K < 2 || K % 2 || N < 16 || N % 16 || reps < 1) {
        fprintf(stderr, "usage: %s K N REPS (K even, N a multiple of 16)\n", argv[0]);
        return 2;
    }
    /* PoCL by name: another platform first in the list (oclgrind, a simulator) would time an interpreter */
    cl_platform_id pl = NULL, pls[8];
    cl_device_id d;
    cl_int e;
    cl_uint np = 0;
    if (clGetPlatformIDs(8, pls, &np) != CL_SUCCESS) np = 0;
    for (cl_uint i = 0; i < np && i < 8; i++) {
        char nm[256] = "";
        clGetPlatformInfo(pls[i], CL_PLATFORM_NAME, sizeof nm, nm, NULL);
        if (strstr(nm, "Portable")) pl = pls[i];
    }
    if (!pl || clGetDeviceIDs(pl, CL_DEVICE_TYPE_CPU, 1, &d, NULL) != CL_SUCCESS) {
        fprintf(stderr, "no PoCL CPU device\n");
        return 1;
    }
    {
        char nm[256];
        clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof nm, nm, NULL);
        printf("device %s\n", nm);
    }
    cl_context c = clCreateContext(NULL, 1, &d, NULL, NULL, &e);
    cl_program p = clCreateProgramWithSource(c, 1, &src, NULL, &e);
    if (clBuildProgram(p, 1, &d, "", NULL, NULL) != CL_SUCCESS) {
        char log[8000];
        clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, sizeof log, log, NULL);
        puts(log);
        return 1;
    }
    cl_command_queue q = clCreateCommandQueue(c, d, 0, &e);
    int *x32 = malloc(G * K * 4);
    short *x16 = malloc(G * K * 2), *w = malloc((size_t)K * N * 2 + 64), *w2 = malloc((size_t)K * N * 2 + 64);
    for (int i = 0; i < G * K; i++) {
        x32[i] = (i * 7919) % 65535 - 32767;
        x16[i] = (short)x32[i];
    }
    for (int i = 0; i < K; i++)
        for (int j = 0; j < N; j++) {
            short v = (short)(((i * 31 + j * 17) * 2654435761u) >> 17);
            w[i * N + j] = v;
            w2[((i / 2) * N + j) * 2 + (i & 1)] = v;
        }
    cl_mem bx32 = clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, G * K * 4, x32, &e),
           bx16 = clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, G * K * 2, x16, &e);
    cl_mem bw = clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, (size_t)K * N * 2 + 64, w, &e),
           bw2 = clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, (size_t)K * N * 2 + 64, w2, &e);
    cl_mem bo = clCreateBuffer(c, CL_MEM_READ_WRITE, G * 8, NULL, &e);
    const char *names[2] = {"lin64", "lin16"};
    long res[2][2];
    cl_kernel ks[2];
    for (int kk = 0; kk < 2; kk++) {
        ks[kk] = clCreateKernel(p, names[kk], &e);
        cl_mem xb = kk ? bx16 : bx32, wb = kk ? bw2 : bw;
        clSetKernelArg(ks[kk], 0, sizeof xb, &xb);
        clSetKernelArg(ks[kk], 1, sizeof wb, &wb);
        clSetKernelArg(ks[kk], 2, sizeof bo, &bo);
        clSetKernelArg(ks[kk], 3, 4, &K);
        clSetKernelArg(ks[kk], 4, 4, &N);
    }
    size_t gl = G, lo = 1;
    for (int round = 0; round < 4; round++)
        for (int kk = 0; kk < 2; kk++) {
            int rr = round == 0 ? 1 : reps;
            clSetKernelArg(ks[kk], 5, 4, &rr);
            double t0 = now();
            clEnqueueNDRangeKernel(q, ks[kk], 1, NULL, &gl, &lo, 0, NULL, NULL);
            clFinish(q);
            double dt = now() - t0;
            clEnqueueReadBuffer(q, bo, CL_TRUE, 0, G * 8, res[kk], 0, NULL, NULL);
            if (round > 0) /* round 0 compiles */
                printf("round %d %s: %.2f GMAC/s (%d rows at once, %.3f s)\n", round, names[kk],
                       (double)G * rr * K * N / dt * 1e-9, G, dt);
        }
    const int same = res[0][0] == res[1][0] && res[0][1] == res[1][1];
    printf("sums equal: %s\n", same ? "yes" : "NO");
    return same ? 0 : 1;
}
