/* mpi_dist.c : mpi_dist.h over Open MPI (LMC_WITH_MPI), or a job of one process without it.
 * The gradient exchange (cli_dist_train_exchange) is a reduce-scatter by parameter slice then an
 * allgather: rank r owns parameters [n·r/N, n·(r+1)/N); MPI_Alltoallv hands it every micro-batch's
 * gradient of that slice, laid out in micro-batch order (ranks hold contiguous micro-batches in
 * rank order), it sums them with lmc_train_tree_sum (the same tree a single process runs over
 * whole rows) and MPI_Allgatherv gives every rank the whole sum. Per step a rank receives
 * (M - its own)·n/N + n·(N-1)/N floats and sends about as many. The loss sums are gathered and
 * added in micro-batch order.
 * When every rank holds the same power-of-two count k = M/N of micro-batches, its range
 * [r·k, (r+1)·k) is a whole subtree of the pairwise tree (strides 1..k/2 never leave it, and the
 * strides from k on pair the subtrees' sums as the same tree over rank index), so the rank sums
 * its k gradients locally first and the exchange carries one gradient per rank: 2·n·(N-1)/N
 * floats received per rank, whatever k. The bits are the same either way.
 * Test hook: LMC_TEST_DIST_REDUCE=rank-order replaces this with what a naive data-parallel
 * trainer does (each rank sums its micro-batches in order, then MPI_Allreduce over ranks), whose
 * result depends on the rank count: the negative control of test_mpi.sh. */
#define _POSIX_C_SOURCE 200809L
#include "mpi_dist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LMC_WITH_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_local = 0;
#ifdef LMC_WITH_MPI
static int g_mpi = 0; /* MPI_Init was called */
#endif
static double g_comm_s = 0.0, g_comm_bytes = 0.0;

int cli_dist_enabled(void) {
#ifdef LMC_WITH_MPI
    return 1;
#else
    return 0;
#endif
}

int cli_dist_rank(void) { return g_rank; }
int cli_dist_size(void) { return g_size; }
int cli_dist_local_rank(void) { return g_local; }
double cli_dist_comm_seconds(void) { return g_comm_s; }
double cli_dist_comm_bytes(void) { return g_comm_bytes; }

#ifdef LMC_WITH_MPI
/* Started by a launcher: Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun) or PMI-1/2. */
static int launched(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}
#endif

int cli_dist_init(int *argc, char ***argv) {
#ifdef LMC_WITH_MPI
    if (!launched()) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        fprintf(stderr, "lmc: MPI_Init failed\n");
        return -1;
    }
    g_mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_rank(node, &g_local);
        MPI_Comm_free(&node);
    }
#else
    (void)argc;
    (void)argv;
#endif
    return 0;
}

int cli_dist_finish(int rc) {
#ifdef LMC_WITH_MPI
    if (g_mpi) {
        fflush(stdout);
        fflush(stderr);
        if (rc != 0 && g_size > 1) MPI_Abort(MPI_COMM_WORLD, rc);
        MPI_Finalize();
        g_mpi = 0;
    }
#endif
    return rc;
}

int cli_dist_max_int(int v) {
#ifdef LMC_WITH_MPI
    if (g_size > 1) {
        int out = v;
        MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return out;
    }
#endif
    return v;
}

double cli_dist_sum_double(double v) {
#ifdef LMC_WITH_MPI
    if (g_size > 1) { /* gathered, then added in rank order: the same bits on every rank */
        double *all = malloc((size_t)g_size * sizeof *all), sum = 0.0;
        if (!all) return v;
        MPI_Allgather(&v, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, MPI_COMM_WORLD);
        for (int r = 0; r < g_size; r++) sum += all[r];
        free(all);
        return sum;
    }
#endif
    return v;
}

void cli_dist_barrier(void) {
#ifdef LMC_WITH_MPI
    if (g_size > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

const char *cli_dist_device(const char *sel, char *buf, size_t cap) {
    if (!sel) {
        const char *env = getenv("LMC_DEVICE");
        if (env && env[0]) sel = env;
    }
    if (sel) {
        if (!strstr(sel, "%r")) return sel;
        size_t o = 0;
        for (const char *c = sel; *c && o + 1 < cap; c++) {
            if (c[0] == '%' && c[1] == 'r') {
                int k = snprintf(buf + o, cap - o, "%d", g_local);
                o += k > 0 ? (size_t)k : 0;
                if (o >= cap) o = cap - 1;
                c++;
            } else {
                buf[o++] = *c;
            }
        }
        buf[o] = '\0';
        return buf;
    }
    if (g_size < 2) return NULL;
    /* a job of several with no selector: this node's GPUs (never a simulator), round-robin by local rank */
    lmc_device_info *list = NULL;
    size_t count = 0, gpus = 0;
    if (lmc_devices_list(&list, &count) != LMC_OK) return NULL;
    for (size_t i = 0; i < count; i++) gpus += list[i].is_gpu && !list[i].is_simulator ? 1 : 0;
    const char *out = NULL;
    if (gpus) {
        size_t want = (size_t)g_local % gpus, k = 0;
        for (size_t i = 0; i < count; i++)
            if (list[i].is_gpu && !list[i].is_simulator && k++ == want) {
                snprintf(buf, cap, "%s", list[i].selector);
                out = buf;
            }
    }
    lmc_devices_free(list);
    return out;
}

#ifdef LMC_WITH_MPI
static double now(void) { return MPI_Wtime(); }

static lmc_status too_big(const char *what) {
    return lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "gradient exchange: %s exceeds MPI's int counts", what);
}

/* The negative control: per-rank sums in micro-batch order, then MPI's reduction over ranks. */
static lmc_status reduce_rank_order(int count, size_t n, float *parts, const double *loss_sums, float *grad,
                                    double *loss_sum) {
    memset(grad, 0, n * sizeof(float));
    double mine = 0.0;
    for (int k = 0; k < count; k++) {
        for (size_t j = 0; j < n; j++) grad[j] += parts[(size_t)k * n + j];
        mine += loss_sums[k];
    }
    MPI_Allreduce(MPI_IN_PLACE, grad, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, loss_sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return LMC_OK;
}

static lmc_status mpi_reduce(void *ctx, int M, int first, int count, size_t n, float *parts,
                             const double *loss_sums, float *grad, double *loss_sum) {
    (void)ctx;
    (void)first;
    int N = g_size, r = g_rank;
    double t0 = now();
    const char *hook = getenv("LMC_TEST_DIST_REDUCE");
    if (n > INT32_MAX) return too_big("the parameter count");
    if (hook && strcmp(hook, "rank-order") == 0) {
        lmc_status st = reduce_rank_order(count, n, parts, loss_sums, grad, loss_sum);
        g_comm_s += now() - t0;
        g_comm_bytes += 2.0 * (double)n * 4.0;
        return st;
    }
    lmc_status st = LMC_OK;
    double *all_loss = malloc((size_t)M * sizeof(double));
    int *lc = calloc((size_t)N, sizeof(int)), *ld = calloc((size_t)N, sizeof(int));
    if (!all_loss || !lc || !ld) {
        free(all_loss);
        free(lc);
        free(ld);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "gradient exchange buffers");
    }
    for (int q = 0; q < N; q++) lmc_train_micro_range(M, q, N, &ld[q], &lc[q]);
    MPI_Allgatherv(loss_sums, count, MPI_DOUBLE, all_loss, lc, ld, MPI_DOUBLE, MPI_COMM_WORLD);
    double lsum = 0.0;
    for (int m = 0; m < M; m++) lsum += all_loss[m];
    *loss_sum = lsum;
    free(all_loss);
    free(lc);
    free(ld);
    int per = M / N;
    if (M % N == 0 && per > 1 && (per & (per - 1)) == 0) { /* whole subtrees: sum them here, send one each */
        lmc_train_tree_sum(parts, count, n);
        M = N;
        count = 1;
    }
    int *sc = calloc((size_t)N, sizeof(int)), *sd = calloc((size_t)N, sizeof(int));
    int *rc = calloc((size_t)N, sizeof(int)), *rd = calloc((size_t)N, sizeof(int));
    int *gc = calloc((size_t)N, sizeof(int)), *gd = calloc((size_t)N, sizeof(int));
    size_t lo_r = n * (size_t)r / (size_t)N, len_r = n * (size_t)(r + 1) / (size_t)N - lo_r;
    float *send = malloc(((size_t)count * n + 1) * sizeof(float));
    float *recv = malloc(((size_t)M * len_r + 1) * sizeof(float));
    if (!sc || !sd || !rc || !rd || !gc || !gd || !send || !recv) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "gradient exchange buffers");
        goto done;
    }
    if ((double)count * (double)n > INT32_MAX || (double)M * (double)len_r > INT32_MAX) {
        st = too_big("a rank's micro-batch gradients");
        goto done;
    }
    /* to rank q: slice q of each of this rank's micro-batches, micro-batch by micro-batch */
    size_t off = 0;
    for (int q = 0; q < N; q++) {
        size_t lo = n * (size_t)q / (size_t)N, len = n * (size_t)(q + 1) / (size_t)N - lo;
        sd[q] = (int)off;
        sc[q] = (int)((size_t)count * len);
        for (int k = 0; k < count; k++, off += len) memcpy(send + off, parts + (size_t)k * n + lo, len * sizeof(float));
        gd[q] = (int)lo;
        gc[q] = (int)len;
        int f = 0, c = 0;
        lmc_train_micro_range(M, q, N, &f, &c);
        rd[q] = (int)((size_t)f * len_r); /* from rank q: its micro-batches, in order */
        rc[q] = (int)((size_t)c * len_r);
    }
    MPI_Alltoallv(send, sc, sd, MPI_FLOAT, recv, rc, rd, MPI_FLOAT, MPI_COMM_WORLD);
    lmc_train_tree_sum(recv, M, len_r);
    MPI_Allgatherv(recv, (int)len_r, MPI_FLOAT, grad, gc, gd, MPI_FLOAT, MPI_COMM_WORLD);
    {
        size_t own = (size_t)count * len_r; /* what stays on this rank */
        double floats = (double)((size_t)count * n - own) + (double)((size_t)M * len_r - own) + 2.0 * (double)(n - len_r);
        g_comm_bytes += floats * 4.0;
    }
done:
    free(sc);
    free(sd);
    free(rc);
    free(rd);
    free(gc);
    free(gd);
    free(send);
    free(recv);
    g_comm_s += now() - t0;
    return st;
}
#endif

const lmc_train_exchange *cli_dist_train_exchange(void) {
#ifdef LMC_WITH_MPI
    static lmc_train_exchange ex;
    if (g_size < 2) return NULL;
    ex.rank = g_rank;
    ex.size = g_size;
    ex.reduce = mpi_reduce;
    ex.ctx = NULL;
    return &ex;
#else
    return NULL;
#endif
}

int cli_dist_send(int dest, int tag, const void *p, size_t n) {
#ifdef LMC_WITH_MPI
    if (g_size > 1) {
        if (n > INT32_MAX) return -1;
        double t0 = now();
        MPI_Send(p, (int)n, MPI_BYTE, dest, tag, MPI_COMM_WORLD);
        g_comm_s += now() - t0;
        g_comm_bytes += (double)n;
        return 0;
    }
#endif
    (void)dest;
    (void)tag;
    (void)p;
    (void)n;
    return -1;
}

int cli_dist_recv(int src, int tag, unsigned char **p, size_t *n) {
    *p = NULL;
    *n = 0;
#ifdef LMC_WITH_MPI
    if (g_size > 1) {
        double t0 = now();
        MPI_Status status;
        int count = 0;
        MPI_Probe(src, tag, MPI_COMM_WORLD, &status);
        MPI_Get_count(&status, MPI_BYTE, &count);
        *p = malloc((size_t)count + 1);
        if (!*p) return -1;
        MPI_Recv(*p, count, MPI_BYTE, src, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        *n = (size_t)count;
        g_comm_s += now() - t0;
        g_comm_bytes += (double)count;
        return 0;
    }
#endif
    (void)src;
    (void)tag;
    return -1;
}

int cli_dist_broadcast(unsigned char **p, size_t *n) {
#ifdef LMC_WITH_MPI
    if (g_size > 1) {
        double t0 = now();
        unsigned long long len = g_rank == 0 ? (unsigned long long)*n : 0;
        MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
        /* a rank that cannot hold the stream returns at once: its caller aborts the job */
        unsigned char *buf = g_rank == 0 ? *p : malloc((size_t)len + 1);
        if (!buf) return -1;
        const size_t piece = (size_t)1 << 30; /* MPI counts are ints */
        for (size_t off = 0; off < len; off += piece) {
            size_t k = len - off < piece ? (size_t)(len - off) : piece;
            MPI_Bcast(buf + off, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD);
        }
        g_comm_s += now() - t0;
        g_comm_bytes += (double)len;
        if (g_rank != 0) {
            *p = buf;
            *n = (size_t)len;
        }
        return 0;
    }
#endif
    (void)p;
    (void)n;
    return 0;
}
