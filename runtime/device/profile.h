/* profile.h : per-kernel device timing, a run-time choice (`lmc bench train --profile`).
 *
 * Off (the default) it costs one NULL test per enqueue and changes nothing. On, every enqueue
 * point that calls the hooks below gets an OpenCL event; at the end the events' START..END times
 * are summed per label. The enqueue points are the kernel launchers of runtime/train/ops.c (label:
 * the kernel's name, `items`: its global size) and the CLBlast calls of gemm.c (label: "sgemm
 * NT MxNxK", with its flops and bytes). Profiling never changes what is enqueued, so results are
 * the same bits with it on or off (test/runtime/test_profile.cpp).
 *
 * Use, at an enqueue point:
 *     err = clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, lmc_device_profile_event(d));
 *     lmc_device_profile_record(d, name, (double)global, 0, 0);
 * and around the work to measure: lmc_device_profile_begin(d) ... lmc_device_profile_end(d, ...). */
#ifndef LMC_PROFILE_H
#define LMC_PROFILE_H

#include "device_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One label's total over the profiled span. `flops` and `bytes` are what the enqueue points
 * recorded (0 where they record only `items`, the work-items: the caller who knows the shapes
 * counts those). `seconds` is device time from the events (a CLBlast call: from a marker
 * enqueued just before it to its last kernel, so CLBlast's helper kernels count too). */
typedef struct lmc_profile_op {
    char label[48];
    unsigned long calls;
    double seconds, items, flops, bytes;
} lmc_profile_op;

struct lmc_profile; /* the samples of a span, owned by the device while profiling is on */

/* lmc_device_profile_begin() : start (or restart) a profiled span on an OpenCL device: waits for
 * the queue, recreates it with CL_QUEUE_PROFILING_ENABLE when it lacks it, drops samples. */
lmc_status lmc_device_profile_begin(lmc_device *d);

/* lmc_device_profile_end() : wait for the queue, read every event's times, and return the span's
 * totals per label in first-enqueued order (*ops, malloc'd, the caller frees; may be NULL when
 * nothing ran). Profiling is then off again, with the queue as it was before begin. */
lmc_status lmc_device_profile_end(lmc_device *d, lmc_profile_op **ops, size_t *n);

/* lmc_device_profiling() : 1 between begin and end. */
static inline int lmc_device_profiling(const lmc_device *d) {
    return d && d->profile != NULL;
}

/* lmc_device_profile_event() : the event pointer to give the next enqueue: NULL when off. */
cl_event *lmc_device_profile_event_(lmc_device *d);
static inline cl_event *lmc_device_profile_event(lmc_device *d) {
    return d && d->profile ? lmc_device_profile_event_(d) : NULL;
}

/* lmc_device_profile_span() : for a call that enqueues several commands of its own (CLBlast):
 * enqueues a marker that opens the span, then returns the event pointer to give the call (its
 * last command ends the span). NULL when off. */
cl_event *lmc_device_profile_span_(lmc_device *d);
static inline cl_event *lmc_device_profile_span(lmc_device *d) {
    return d && d->profile ? lmc_device_profile_span_(d) : NULL;
}

/* lmc_device_profile_record() : file the event the last enqueue filled under `label` (copied,
 * at most 47 bytes), with its work-items, flops and bytes. Does nothing when off or when the
 * enqueue failed and filled no event. */
void lmc_device_profile_record_(lmc_device *d, const char *label, double items, double flops, double bytes);
static inline void lmc_device_profile_record(lmc_device *d, const char *label, double items, double flops,
                                             double bytes) {
    if (d && d->profile) lmc_device_profile_record_(d, label, items, flops, bytes);
}

#ifdef __cplusplus
}
#endif
#endif /* LMC_PROFILE_H */
