/* profile.c : per-kernel device timing from OpenCL events (see profile.h). Samples (label, event,
 * counts) pile up while enqueued; a flush waits for the queue, reads each event's times, folds
 * the sample into its label's total and releases the event. Flushes happen at the end of the
 * span and whenever kMaxPending samples wait, so memory stays bounded however long the span. */
#include "profile.h"

#include <stdlib.h>
#include <string.h>

enum { kMaxPending = 4096 };

typedef struct profile_sample {
    char label[48];
    cl_event start; /* a marker before a multi-command call (CLBlast), or NULL */
    cl_event event; /* the command (or the call's last command) */
    double items, flops, bytes;
} profile_sample;

struct lmc_profile {
    cl_command_queue_properties saved_props; /* the queue's properties before begin */
    cl_event pending;                        /* filled by the enqueue that got lmc_device_profile_event */
    cl_event span_start;                     /* marker of lmc_device_profile_span, awaiting its call */
    profile_sample *samples;
    size_t n_samples;
    lmc_profile_op *ops;
    size_t n_ops, cap_ops;
    lmc_status error; /* the first failure while profiling; reported by end */
};

static void release_event(cl_event *e) {
    if (*e) clReleaseEvent(*e);
    *e = NULL;
}

static lmc_status recreate_queue(lmc_device *d, cl_command_queue_properties props) {
    cl_int err = clFinish(d->queue);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "clFinish on %s: %s", d->info.selector,
                  lmc_cl_error_name(err));
    cl_command_queue q = clCreateCommandQueue(d->context, d->id, props, &err);
    LMC_RETURN_IF(err != CL_SUCCESS, LMC_ERR_OPENCL, "clCreateCommandQueue (profiling %s) on %s: %s",
                  (props & CL_QUEUE_PROFILING_ENABLE) ? "on" : "off", d->info.selector,
                  lmc_cl_error_name(err));
    clReleaseCommandQueue(d->queue);
    d->queue = q;
    return LMC_OK;
}

static void free_profile(struct lmc_profile *p) {
    if (!p) return;
    release_event(&p->pending);
    release_event(&p->span_start);
    for (size_t i = 0; i < p->n_samples; i++) {
        release_event(&p->samples[i].start);
        release_event(&p->samples[i].event);
    }
    free(p->samples);
    free(p->ops);
    free(p);
}

void lmc_device_profile_free_(lmc_device *d) {
    if (!d) return;
    free_profile(d->profile);
    d->profile = NULL;
}

lmc_status lmc_device_profile_begin(lmc_device *d) {
    LMC_RETURN_IF(!d || d->info.kind != LMC_DEVICE_KIND_OPENCL || !d->queue, LMC_ERR_INVALID_ARGUMENT,
                  "profiling needs an OpenCL device");
    cl_command_queue_properties props = 0;
    if (d->profile) { /* restart: keep the saved properties, drop the samples */
        props = d->profile->saved_props;
        lmc_device_profile_free_(d);
    } else {
        LMC_CL_CHECK(clGetCommandQueueInfo(d->queue, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL));
    }
    struct lmc_profile *p = calloc(1, sizeof *p);
    LMC_RETURN_IF(!p, LMC_ERR_OUT_OF_MEMORY, "profile");
    p->saved_props = props;
    p->samples = malloc(kMaxPending * sizeof *p->samples);
    if (!p->samples) {
        free(p);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "profile samples");
    }
    if (!(props & CL_QUEUE_PROFILING_ENABLE)) {
        lmc_status st = recreate_queue(d, props | CL_QUEUE_PROFILING_ENABLE);
        if (st != LMC_OK) {
            free_profile(p);
            return st;
        }
    } else {
        cl_int err = clFinish(d->queue); /* samples start from an idle queue */
        if (err != CL_SUCCESS) {
            free_profile(p);
            return lmc_set_error(LMC_ERR_OPENCL, "clFinish on %s: %s", d->info.selector,
                                 lmc_cl_error_name(err));
        }
    }
    d->profile = p;
    return LMC_OK;
}

cl_event *lmc_device_profile_event_(lmc_device *d) {
    struct lmc_profile *p = d->profile;
    release_event(&p->pending); /* a previous enqueue that was never recorded */
    return &p->pending;
}

cl_event *lmc_device_profile_span_(lmc_device *d) {
    struct lmc_profile *p = d->profile;
    release_event(&p->span_start);
    cl_int err = clEnqueueMarkerWithWaitList(d->queue, 0, NULL, &p->span_start);
    if (err != CL_SUCCESS) {
        p->span_start = NULL; /* the call is then timed from its last command's start */
        if (p->error == LMC_OK)
            p->error = lmc_set_error(LMC_ERR_OPENCL, "profile marker on %s: %s", d->info.selector,
                                     lmc_cl_error_name(err));
    }
    return lmc_device_profile_event_(d);
}

static lmc_profile_op *op_for(struct lmc_profile *p, const char *label) {
    for (size_t i = 0; i < p->n_ops; i++)
        if (strcmp(p->ops[i].label, label) == 0) return &p->ops[i];
    if (p->n_ops == p->cap_ops) {
        size_t cap = p->cap_ops ? 2 * p->cap_ops : 64;
        lmc_profile_op *grown = realloc(p->ops, cap * sizeof *grown);
        if (!grown) return NULL;
        p->ops = grown;
        p->cap_ops = cap;
    }
    lmc_profile_op *op = &p->ops[p->n_ops++];
    memset(op, 0, sizeof *op);
    memcpy(op->label, label, sizeof op->label);
    return op;
}

/* Wait for the queue, fold every waiting sample into its label's total. */
static lmc_status flush(lmc_device *d) {
    struct lmc_profile *p = d->profile;
    LMC_CL_CHECK(clFinish(d->queue));
    lmc_status st = LMC_OK;
    for (size_t i = 0; i < p->n_samples; i++) {
        profile_sample *s = &p->samples[i];
        cl_ulong t0 = 0, t1 = 0;
        cl_int err =
            s->start ? clGetEventProfilingInfo(s->start, CL_PROFILING_COMMAND_END, sizeof t0, &t0, NULL)
                     : clGetEventProfilingInfo(s->event, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        if (err == CL_SUCCESS)
            err = clGetEventProfilingInfo(s->event, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        if (err != CL_SUCCESS && st == LMC_OK)
            st = lmc_set_error(LMC_ERR_OPENCL, "profiling times of %s on %s: %s", s->label, d->info.selector,
                               lmc_cl_error_name(err));
        lmc_profile_op *op = op_for(p, s->label);
        if (!op && st == LMC_OK) st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "profile table");
        if (op && err == CL_SUCCESS) {
            op->calls++;
            op->seconds += t1 > t0 ? 1e-9 * (double)(t1 - t0) : 0.0;
            op->items += s->items;
            op->flops += s->flops;
            op->bytes += s->bytes;
        }
        release_event(&s->start);
        release_event(&s->event);
    }
    p->n_samples = 0;
    return st;
}

void lmc_device_profile_record_(lmc_device *d, const char *label, double items, double flops, double bytes) {
    struct lmc_profile *p = d->profile;
    if (!p->pending) { /* the enqueue failed: its caller reports that */
        release_event(&p->span_start);
        return;
    }
    if (p->n_samples == kMaxPending) {
        lmc_status st = flush(d);
        if (st != LMC_OK && p->error == LMC_OK) p->error = st;
    }
    profile_sample *s = &p->samples[p->n_samples++];
    size_t n = strlen(label);
    if (n >= sizeof s->label) n = sizeof s->label - 1;
    memcpy(s->label, label, n);
    memset(s->label + n, 0, sizeof s->label - n);
    s->start = p->span_start;
    s->event = p->pending;
    p->span_start = p->pending = NULL;
    s->items = items;
    s->flops = flops;
    s->bytes = bytes;
}

lmc_status lmc_device_profile_end(lmc_device *d, lmc_profile_op **ops, size_t *n) {
    LMC_RETURN_IF(!ops || !n, LMC_ERR_INVALID_ARGUMENT, "lmc_device_profile_end: NULL output");
    *ops = NULL;
    *n = 0;
    LMC_RETURN_IF(!d || !d->profile, LMC_ERR_INVALID_ARGUMENT, "lmc_device_profile_end: profiling is off");
    struct lmc_profile *p = d->profile;
    lmc_status st = flush(d);
    if (st == LMC_OK) st = p->error;
    cl_command_queue_properties props = p->saved_props;
    if (st == LMC_OK) {
        *ops = p->ops;
        *n = p->n_ops;
        p->ops = NULL;
    }
    lmc_device_profile_free_(d);
    if (!(props & CL_QUEUE_PROFILING_ENABLE)) {
        lmc_status q = recreate_queue(d, props);
        if (st == LMC_OK) st = q;
    }
    if (st != LMC_OK) {
        free(*ops);
        *ops = NULL;
        *n = 0;
    }
    return st;
}
