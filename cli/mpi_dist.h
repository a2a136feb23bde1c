/* mpi_dist.h : the lmc program's view of a job of several processes (docs/scale-out.md): rank,
 * size, the node-local rank, the few collectives the commands need, in a fixed order, and abort.
 * mpi_dist.c is the only file that includes <mpi.h>; without LMC_MPI, or when the process was not
 * started by an MPI launcher (mpirun, srun), the same functions describe a job of one process
 * (rank 0 of 1) and the collectives copy or do nothing. So the commands carry no #ifdefs.
 * Invariant: every collective is called by every rank in the same order; data combined across
 * ranks is combined in an order fixed by micro-batch or window index, never by arrival. */
#ifndef LMC_CLI_MPI_DIST_H
#define LMC_CLI_MPI_DIST_H

#include <stddef.h>

#include "lmc/lmc.h"

/* cli_dist_init() : join the job if an MPI launcher started this process (MPI_Init), else a job
 * of one. Call once, first. @return 0, or -1 with a message printed. */
int cli_dist_init(int *argc, char ***argv);
/* cli_dist_finish() : leave the job with exit status rc: rc != 0 in a job of several aborts all
 * of it (MPI_Abort with rc, so mpirun exits non-zero); else MPI_Finalize. Returns rc. */
int cli_dist_finish(int rc);
int cli_dist_rank(void);
int cli_dist_size(void);
int cli_dist_local_rank(void); /* the rank among this node's processes */
int cli_dist_enabled(void);    /* 1 when built with MPI (LMC_MPI) */

/* cli_dist_device() : the device selector of this rank: `sel` (or $LMC_DEVICE when sel is NULL)
 * with every "%r" replaced by the node-local rank; with neither given in a job of several, the
 * node's GPUs round-robin by local rank (NULL, the usual default, when it has none). buf (cap)
 * may hold the result. */
const char *cli_dist_device(const char *sel, char *buf, size_t cap);

/* cli_dist_max_int() : the largest of every rank's v (every rank gets it). */
int cli_dist_max_int(int v);
/* cli_dist_sum_double() : Σ over ranks of v, added in rank order (every rank gets it). */
double cli_dist_sum_double(double v);
/* cli_dist_barrier() : wait for every rank. */
void cli_dist_barrier(void);

/* cli_dist_train_exchange() : the exchange of micro-batch gradients for lmc_trainer_set_exchange
 * (reduce-scatter by parameter slice in micro-batch order, the fixed tree on each slice,
 * allgather); NULL in a job of one. */
const lmc_train_exchange *cli_dist_train_exchange(void);
/* Seconds and bytes (sent + received by this rank) spent in the exchange so far. */
double cli_dist_comm_seconds(void);
double cli_dist_comm_bytes(void);

/* Point to point, for gathering coded frames in order (cli_dist_coding.c): send n bytes to
 * `dest`; receive the next message from `src` into a malloc'ed buffer (*p, *n; n may be 0).
 * @return 0, or -1 (out of memory). */
int cli_dist_send(int dest, int tag, const void *p, size_t n);
int cli_dist_recv(int src, int tag, unsigned char **p, size_t *n);
/* cli_dist_broadcast() : rank 0's n bytes at *p to every rank (`lmc eval` hands every rank the
 * .lmc stream it is to decode): on rank 0 *p and *n are read; on the others they receive a
 * malloc'ed copy (the caller frees it). In a job of one nothing moves. @return 0, or -1 (out of
 * memory). */
int cli_dist_broadcast(unsigned char **p, size_t *n);

#endif /* LMC_CLI_MPI_DIST_H */
