/* exact_model.c : coding models, formats lmc-exact-1 and lmc-exact-2 (runtime/exact/EXACT.md): quantisation from a
 * float model, canonical safetensors image, strict loader, model id, and the flat int32 "blob"
 * plus layout array that cl/exact/exact.cl reads (on cpu-ref and on OpenCL alike).
 *
 * Key invariant: the model is the list of integer tensors; the blob is derived from it alone,
 * and the id is the SHA-256 of the canonical serialisation, so two equal models have equal ids
 * and equal rows. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exact_internal.h"
#include "lmc/sha256.h"
#include "model_internal.h"
#include "ref_model.h"

#define Q_ACT 4096.0    /* activations Q12 */
#define Q_LOGIT 65536.0 /* logits Q16 */

/* ---- the tensor list of a configuration ---- */

/* Appends one tensor; `slot` is its index in the layout array (-1: none). */
static void add_tensor(lmc_exact_model *m, const char *name, int is_i16, size_t d0, size_t d1, int slot) {
    ex_tensor *t = &m->t[m->nt++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->is_i16 = is_i16;
    t->ndim = d1 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1;
    t->size = d0 * (d1 ? d1 : 1);
    t->slot = slot;
}

static void add_linear(lmc_exact_model *m, const char *base, size_t in, size_t out, int slot) {
    char n[64];
    add_tensor(m, base, 1, in, out, slot);
    snprintf(n, sizeof n, "%s.mult", base);
    add_tensor(m, n, 0, out, 0, slot + 1);
    snprintf(n, sizeof n, "%s.shift", base);
    add_tensor(m, n, 0, out, 0, slot + 2);
}

const char *lmc_exact_format_name(int v) { return v == 2 ? LMC_EXACT_FORMAT_2 : LMC_EXACT_FORMAT; }

int lmc_exact_model_format(const lmc_exact_model *m) { return m ? m->format : 0; }

/* Allocates m with its tensor table for cfg (values zero), format version `format`. */
static lmc_status model_alloc(const lmc_model_config *cfg, int format, lmc_exact_model **out) {
    size_t C = (size_t)cfg->d_model, T = (size_t)cfg->context;
    lmc_exact_model *m = calloc(1, sizeof *m);
    if (!m) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model");
    m->config = *cfg;
    m->format = format;
    m->t = calloc(16 + 32 * (size_t)cfg->n_layers, sizeof *m->t);
    m->lay_n = EX_LAY_LAYER0 + EX_LAY_PER_LAYER * cfg->n_layers;
    m->lay = calloc((size_t)m->lay_n, sizeof *m->lay);
    if (!m->t || !m->lay) {
        lmc_exact_model_destroy(m);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model");
    }
    add_tensor(m, "embed", 0, 256, C, EX_LAY_EMBED);
    add_tensor(m, "pos", 1, T, C, EX_LAY_POS);
    add_tensor(m, "table.exp_hi", 0, 256, 0, EX_LAY_EXP_HI);
    add_tensor(m, "table.exp_lo", 0, 256, 0, EX_LAY_EXP_LO);
    add_tensor(m, "table.gelu", 0, 1025, 0, EX_LAY_GELU);
    add_tensor(m, "table.attn_scale", 0, 2, 0, EX_LAY_ATT_M);
    for (int l = 0; l < cfg->n_layers; l++) {
        int b = EX_LAY_LAYER0 + l * EX_LAY_PER_LAYER;
        char n[64];
        static const char *const qkvo[4] = {"wq", "wk", "wv", "wo"};
        for (int k = 0; k < 4; k++) {
            snprintf(n, sizeof n, "layer%d.attn.%s", l, qkvo[k]);
            add_linear(m, n, C, C, b + EX_WQ + 3 * k);
        }
        snprintf(n, sizeof n, "layer%d.ln1.scale", l);
        add_tensor(m, n, 0, C, 0, b + EX_LN1_G);
        snprintf(n, sizeof n, "layer%d.ln1.offset", l);
        add_tensor(m, n, 0, C, 0, b + EX_LN1_B);
        snprintf(n, sizeof n, "layer%d.ffn.w1", l);
        add_linear(m, n, C, 4 * C, b + EX_W1);
        snprintf(n, sizeof n, "layer%d.ffn.b1", l);
        add_tensor(m, n, 0, 4 * C, 0, b + EX_B1);
        snprintf(n, sizeof n, "layer%d.ffn.w2", l);
        add_linear(m, n, 4 * C, C, b + EX_W2);
        snprintf(n, sizeof n, "layer%d.ffn.b2", l);
        add_tensor(m, n, 0, C, 0, b + EX_B2);
        snprintf(n, sizeof n, "layer%d.ln2.scale", l);
        add_tensor(m, n, 0, C, 0, b + EX_LN2_G);
        snprintf(n, sizeof n, "layer%d.ln2.offset", l);
        add_tensor(m, n, 0, C, 0, b + EX_LN2_B);
    }
    add_linear(m, "out.w", C, 256, EX_LAY_OUT_W);
    add_tensor(m, "out.b", 0, 256, 0, EX_LAY_OUT_B);
    size_t total = 0;
    for (size_t i = 0; i < m->nt; i++) {
        m->t[i].offset = total;
        total += m->t[i].size;
    }
    m->blob_n = total;
    m->blob = calloc(total, sizeof *m->blob);
    if (!m->blob) {
        lmc_exact_model_destroy(m);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model of %zu values", total);
    }
    if (total > (size_t)INT32_MAX) {
        lmc_exact_model_destroy(m);
        return lmc_set_error(LMC_ERR_UNSUPPORTED, "coding model of %zu values: too large", total);
    }
    m->lay[EX_LAY_C] = cfg->d_model;
    m->lay[EX_LAY_L] = cfg->n_layers;
    m->lay[EX_LAY_NH] = cfg->n_heads;
    m->lay[EX_LAY_T] = cfg->context;
    m->lay[EX_LAY_FORMAT] = format;
    for (size_t i = 0; i < m->nt; i++)
        if (m->t[i].slot >= 0) m->lay[m->t[i].slot] = (int32_t)m->t[i].offset;
    m->lay[EX_LAY_ATT_S] = m->lay[EX_LAY_ATT_M] + 1;
    *out = m;
    return LMC_OK;
}

static ex_tensor *find_tensor(lmc_exact_model *m, const char *name) {
    for (size_t i = 0; i < m->nt; i++)
        if (strcmp(m->t[i].name, name) == 0) return &m->t[i];
    return NULL;
}

void lmc_exact_model_destroy(lmc_exact_model *m) {
    if (!m) return;
    free(m->t);
    free(m->lay);
    free(m->blob);
    free(m);
}

lmc_model_config lmc_exact_model_get_config(const lmc_exact_model *m) { return m->config; }

void lmc_exact_model_id(const lmc_exact_model *m, uint8_t id[LMC_MODEL_ID_SIZE]) {
    memcpy(id, m->id, LMC_MODEL_ID_SIZE);
}

/* ---- quantisation ---- */

/* r = mult / 2^shift with mult in [2^14, 2^15), 1 <= shift <= 62. */
static lmc_status requant_factor(double r, int32_t *mult, int32_t *shift, const char *what) {
    if (!(r > 0) || !isfinite(r)) {
        *mult = 1 << 14;
        *shift = 62; /* a zero column: every product is zero anyway */
        return LMC_OK;
    }
    int e = 0;
    double f = frexp(r, &e); /* r = f * 2^e, f in [0.5, 1) */
    long mm = lround(f * 32768.0);
    int s = 15 - e;
    if (mm == 32768) {
        mm = 16384;
        s -= 1;
    }
    if (s < 1 || s > 62)
        return lmc_set_error(LMC_ERR_UNSUPPORTED, "quantize: %s: scale %g out of the representable range", what, r);
    *mult = (int32_t)mm;
    *shift = s;
    return LMC_OK;
}

static lmc_status check_values(const lmc_exact_model *m);

static int32_t round_clamp(double v, double lim) {
    double r = nearbyint(v);
    if (r > lim) r = lim;
    if (r < -lim) r = -lim;
    return (int32_t)r;
}

static const float *float_tensor(const lmc_model *fm, const char *name) {
    const lmc_model_config *cfg = lmc_model_get_config(fm);
    size_t nt = lmc_model_num_tensors(cfg);
    for (size_t i = 0; i < nt; i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(cfg, i, &d);
        if (strcmp(d.name, name) == 0) return lmc_model_params_cdata(fm) + d.offset;
    }
    return NULL;
}

/* Linear (in, out) weights: int16 per output column scaled to +-32767, requantised into Q12
 * (or Q16 when out_q16). */
static lmc_status quant_linear(lmc_exact_model *m, const lmc_model *fm, const char *name, int out_q16) {
    char n[64];
    const float *w = float_tensor(fm, name);
    ex_tensor *tw = find_tensor(m, name);
    snprintf(n, sizeof n, "%s.mult", name);
    ex_tensor *tm = find_tensor(m, n);
    snprintf(n, sizeof n, "%s.shift", name);
    ex_tensor *ts = find_tensor(m, n);
    if (!w || !tw || !tm || !ts) return lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "quantize: tensor '%s' missing", name);
    size_t K = tw->shape[0], N = tw->shape[1];
    for (size_t j = 0; j < N; j++) {
        double mx = 0;
        for (size_t i = 0; i < K; i++) mx = fmax(mx, fabs((double)w[i * N + j]));
        double scale = mx > 0 ? mx / 32767.0 : 0;
        for (size_t i = 0; i < K; i++)
            m->blob[tw->offset + i * N + j] = scale > 0 ? round_clamp(w[i * N + j] / scale, 32767) : 0;
        LMC_TRY(requant_factor(scale * (out_q16 ? 16.0 : 1.0), &m->blob[tm->offset + j], &m->blob[ts->offset + j], name));
    }
    return LMC_OK;
}

static lmc_status quant_vector(lmc_exact_model *m, const lmc_model *fm, const char *name, double q) {
    const float *v = float_tensor(fm, name);
    ex_tensor *t = find_tensor(m, name);
    if (!v || !t) return lmc_set_error(LMC_ERR_INVALID_ARGUMENT, "quantize: tensor '%s' missing", name);
    for (size_t i = 0; i < t->size; i++) m->blob[t->offset + i] = round_clamp(v[i] * q, EX_VALUE_LIM);
    return LMC_OK;
}

static double gelu_tanh(double x) {
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

lmc_status lmc_exact_quantize(const lmc_model *fm, lmc_exact_model **out) { return lmc_exact_quantize_format(fm, 1, out); }

lmc_status lmc_exact_quantize_format(const lmc_model *fm, int version, lmc_exact_model **out) {
    LMC_RETURN_IF(!fm || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_quantize: NULL argument");
    *out = NULL;
    LMC_RETURN_IF(version != 1 && version != 2, LMC_ERR_INVALID_ARGUMENT, "quantize: no coding model format version %d (1 or 2)", version);
    const lmc_model_config *cfg = lmc_model_get_config(fm);
    lmc_exact_model *m = NULL;
    float *pos = NULL;
    lmc_status st;
    LMC_TRY(model_alloc(cfg, version, &m));
    size_t C = (size_t)cfg->d_model, T = (size_t)cfg->context;
    /* embed * sqrt(C), Q12 */
    const float *emb = float_tensor(fm, "embed");
    for (size_t i = 0; i < 256 * C; i++)
        m->blob[m->lay[EX_LAY_EMBED] + i] = round_clamp(emb[i] * sqrt((double)C) * Q_ACT, EX_VALUE_LIM);
    pos = malloc(T * C * sizeof *pos);
    if (!pos) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "positions");
        goto fail;
    }
    lmc_ref_positions(pos, (int)T, (int)C);
    for (size_t i = 0; i < T * C; i++) m->blob[m->lay[EX_LAY_POS] + i] = round_clamp(pos[i] * Q_ACT, 32767);
    for (int k = 0; k < 256; k++) {
        m->blob[m->lay[EX_LAY_EXP_HI] + k] = (int32_t)nearbyint(1073741824.0 * exp(-k * 256.0 / Q_ACT));
        m->blob[m->lay[EX_LAY_EXP_LO] + k] = (int32_t)nearbyint(1073741824.0 * exp(-k / Q_ACT));
    }
    for (int k = 0; k <= 1024; k++)
        m->blob[m->lay[EX_LAY_GELU] + k] = round_clamp(gelu_tanh(-8.0 + k / 64.0) * Q_ACT, EX_VALUE_LIM);
    /* score Q12 = dot (Q24) / sqrt(hs) / 2^12 */
    st = requant_factor(1.0 / sqrt((double)(C / (size_t)cfg->n_heads)) / Q_ACT, &m->blob[m->lay[EX_LAY_ATT_M]],
                        &m->blob[m->lay[EX_LAY_ATT_M] + 1], "attention scale");
    if (st) goto fail;
    for (int l = 0; l < cfg->n_layers; l++) {
        char n[64];
        static const char *const lin[6] = {"attn.wq", "attn.wk", "attn.wv", "attn.wo", "ffn.w1", "ffn.w2"};
        static const char *const vec[6] = {"ln1.scale", "ln1.offset", "ffn.b1", "ffn.b2", "ln2.scale", "ln2.offset"};
        for (int k = 0; k < 6; k++) {
            snprintf(n, sizeof n, "layer%d.%s", l, lin[k]);
            if ((st = quant_linear(m, fm, n, 0)) != LMC_OK) goto fail;
            snprintf(n, sizeof n, "layer%d.%s", l, vec[k]);
            if ((st = quant_vector(m, fm, n, Q_ACT)) != LMC_OK) goto fail;
        }
    }
    if ((st = quant_linear(m, fm, "out.w", 1)) != LMC_OK) goto fail;
    if ((st = quant_vector(m, fm, "out.b", Q_LOGIT)) != LMC_OK) goto fail;
    /* a scale so large that lmc-exact-2's shifts would leave their range: say so now, not at load */
    if ((st = check_values(m)) != LMC_OK) goto fail;
    if ((st = lmc_exact_model_finish(m)) != LMC_OK) goto fail;
    free(pos);
    *out = m;
    return LMC_OK;
fail:
    free(pos);
    lmc_exact_model_destroy(m);
    return st;
}

/* ---- canonical bytes, id, safetensors ---- */

static void put_le(uint8_t *dst, int32_t v, int bytes) {
    uint32_t u = (uint32_t)v;
    for (int k = 0; k < bytes; k++) dst[k] = (uint8_t)(u >> (8 * k));
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const ex_tensor *const *)a)->name, (*(const ex_tensor *const *)b)->name);
}

/* Tensors in name order (bytewise strcmp); caller frees. */
static ex_tensor **sorted_tensors(const lmc_exact_model *m) {
    ex_tensor **o = malloc(m->nt * sizeof *o);
    if (!o) return NULL;
    for (size_t i = 0; i < m->nt; i++) o[i] = &m->t[i];
    qsort(o, m->nt, sizeof *o, cmp_tensor_name);
    return o;
}

/* The little-endian bytes of tensor t into dst (t->size * 2 or 4 bytes). */
static void tensor_bytes(const lmc_exact_model *m, const ex_tensor *t, uint8_t *dst) {
    int w = t->is_i16 ? 2 : 4;
    for (size_t i = 0; i < t->size; i++) put_le(dst + i * (size_t)w, m->blob[t->offset + i], w);
}

lmc_status lmc_exact_model_finish(lmc_exact_model *m) {
    ex_tensor **o = sorted_tensors(m);
    uint8_t *buf = NULL;
    if (!o) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model id");
    lmc_sha256_ctx ctx;
    lmc_sha256_init(&ctx);
    char line[160];
    const lmc_model_config *c = &m->config;
    int k = snprintf(line, sizeof line, "context=%d\nd_model=%d\nformat=%s\nn_heads=%d\nn_layers=%d\n", c->context,
                     c->d_model, lmc_exact_format_name(m->format), c->n_heads, c->n_layers);
    lmc_sha256_update(&ctx, line, (size_t)k);
    for (size_t i = 0; i < m->nt; i++) {
        const ex_tensor *t = o[i];
        if (t->ndim == 2)
            k = snprintf(line, sizeof line, "%s\n%s\n%zu,%zu\n", t->name, t->is_i16 ? "I16" : "I32", t->shape[0], t->shape[1]);
        else
            k = snprintf(line, sizeof line, "%s\n%s\n%zu\n", t->name, t->is_i16 ? "I16" : "I32", t->shape[0]);
        lmc_sha256_update(&ctx, line, (size_t)k);
        size_t nb = t->size * (t->is_i16 ? 2 : 4);
        uint8_t *q = realloc(buf, nb);
        if (!q) {
            free(buf);
            free(o);
            return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model id");
        }
        buf = q;
        tensor_bytes(m, t, buf);
        lmc_sha256_update(&ctx, buf, nb);
    }
    lmc_sha256_final(&ctx, m->id);
    free(buf);
    free(o);
    return LMC_OK;
}

lmc_status lmc_exact_model_serialize(const lmc_exact_model *m, uint8_t **data, size_t *size) {
    LMC_RETURN_IF(!m || !data || !size, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_model_serialize: NULL argument");
    *data = NULL;
    *size = 0;
    ex_tensor **o = sorted_tensors(m);
    if (!o) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model image");
    const lmc_model_config *c = &m->config;
    size_t cap = 256 + m->nt * 160, n = 0, off = 0;
    char *js = malloc(cap);
    if (!js) {
        free(o);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model image");
    }
    n += (size_t)snprintf(js + n, cap - n,
                          "{\"__metadata__\":{\"context\":\"%d\",\"d_model\":\"%d\",\"format\":\"%s\","
                          "\"n_heads\":\"%d\",\"n_layers\":\"%d\"}",
                          c->context, c->d_model, lmc_exact_format_name(m->format), c->n_heads, c->n_layers);
    for (size_t i = 0; i < m->nt; i++) {
        const ex_tensor *t = o[i];
        size_t nb = t->size * (t->is_i16 ? 2 : 4);
        n += (size_t)snprintf(js + n, cap - n, ",\"%s\":{\"data_offsets\":[%zu,%zu],\"dtype\":\"%s\",\"shape\":[%zu", t->name,
                              off, off + nb, t->is_i16 ? "I16" : "I32", t->shape[0]);
        if (t->ndim == 2) n += (size_t)snprintf(js + n, cap - n, ",%zu", t->shape[1]);
        n += (size_t)snprintf(js + n, cap - n, "]}");
        off += nb;
    }
    n += (size_t)snprintf(js + n, cap - n, "}");
    while (n % 8) js[n++] = ' ';
    size_t total = 8 + n + off;
    uint8_t *out = malloc(total);
    if (!out) {
        free(js);
        free(o);
        return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "coding model image of %zu bytes", total);
    }
    for (int k = 0; k < 8; k++) out[k] = (uint8_t)((uint64_t)n >> (8 * k));
    memcpy(out + 8, js, n);
    uint8_t *dst = out + 8 + n;
    for (size_t i = 0; i < m->nt; i++) {
        tensor_bytes(m, o[i], dst);
        dst += o[i]->size * (o[i]->is_i16 ? 2 : 4);
    }
    free(js);
    free(o);
    *data = out;
    *size = total;
    return LMC_OK;
}

lmc_status lmc_exact_model_save(const lmc_exact_model *m, const char *path) {
    uint8_t *data = NULL;
    size_t size = 0;
    LMC_TRY(lmc_exact_model_serialize(m, &data, &size));
    lmc_status st = lmc_file_write_atomic(path, data, size);
    free(data);
    return st;
}

/* ---- loading ---- */

static lmc_status parse_meta_int(const char *name, const char *text, int *out) {
    char *end = NULL;
    long v = text[0] ? strtol(text, &end, 10) : 0;
    if (!text[0] || *end || v < 1 || v > (1L << 20) || text[0] == '+')
        return lmc_set_error(LMC_ERR_MODEL, "coding model: metadata '%s' = '%s' is not a positive integer", name, text);
    *out = (int)v;
    return LMC_OK;
}

/* Ranges a loaded model must respect, so that the integer path stays within its bounds. In
 * lmc-exact-2 the arithmetic shifts a linear layer's column by shift - 3 and the scores by
 * attn_scale's shift - 6 (EXACT.md §4), so those must stay >= 1 there. */
static lmc_status check_values(const lmc_exact_model *m) {
    const int lin_min = m->format == 2 ? 1 + EX2_IN_SHIFT : 1, att_min = m->format == 2 ? 1 + 2 * EX2_IN_SHIFT : 1;
    for (size_t i = 0; i < m->nt; i++) {
        const ex_tensor *t = &m->t[i];
        size_t nl = strlen(t->name);
        int is_mult = nl > 5 && strcmp(t->name + nl - 5, ".mult") == 0;
        int is_shift = nl > 6 && strcmp(t->name + nl - 6, ".shift") == 0;
        int is_exp = strncmp(t->name, "table.exp_", 10) == 0;
        int is_att = strcmp(t->name, "table.attn_scale") == 0;
        for (size_t k = 0; k < t->size; k++) {
            int32_t v = m->blob[t->offset + k];
            int ok;
            if (is_mult || (is_att && k == 0)) ok = v >= (1 << 14) && v < (1 << 15);
            else if (is_shift) ok = v >= lin_min && v <= 62;
            else if (is_att) ok = v >= att_min && v <= 62;
            else if (is_exp) ok = v >= 0 && v <= (1 << 30);
            else if (t->is_i16) ok = v >= -32767 && v <= 32767;
            else ok = v >= -EX_VALUE_LIM && v <= EX_VALUE_LIM;
            if (!ok) return lmc_set_error(LMC_ERR_MODEL, "coding model: tensor '%s' value %d at index %zu is out of range", t->name, (int)v, k);
        }
    }
    return LMC_OK;
}

lmc_status lmc_exact_model_load_memory(const void *data, size_t size, lmc_exact_model **out) {
    LMC_RETURN_IF(!out || (!data && size), LMC_ERR_INVALID_ARGUMENT, "lmc_exact_model_load_memory: NULL argument");
    *out = NULL;
    st_header h;
    memset(&h, 0, sizeof h);
    const uint8_t *body = NULL;
    size_t body_len = 0;
    lmc_exact_model *m = NULL;
    lmc_status st = lmc_st_parse(data, size, &h, &body, &body_len);
    if (st) goto fail;
    int version = strcmp(h.format, LMC_EXACT_FORMAT) == 0 ? 1 : strcmp(h.format, LMC_EXACT_FORMAT_2) == 0 ? 2 : 0;
    if (!version) {
        st = lmc_set_error(LMC_ERR_MODEL, "coding model: metadata format '%s', expected '%s' or '%s'%s", h.format[0] ? h.format : "(missing)",
                           LMC_EXACT_FORMAT, LMC_EXACT_FORMAT_2, strcmp(h.format, LMC_MODEL_FORMAT) == 0 ? " (a float model: make a coding model with 'lmc quantize')" : "");
        goto fail;
    }
    lmc_model_config cfg;
    if ((st = parse_meta_int("d_model", h.d_model, &cfg.d_model)) || (st = parse_meta_int("n_layers", h.n_layers, &cfg.n_layers)) ||
        (st = parse_meta_int("n_heads", h.n_heads, &cfg.n_heads)) || (st = parse_meta_int("context", h.context, &cfg.context)))
        goto fail;
    if (lmc_model_config_check(&cfg) != LMC_OK || cfg.d_model > 4096 || cfg.n_layers > 256) {
        st = lmc_set_error(LMC_ERR_MODEL, "coding model: metadata describes no valid model (d_model %d, n_layers %d, n_heads %d)",
                           cfg.d_model, cfg.n_layers, cfg.n_heads);
        goto fail;
    }
    if ((st = model_alloc(&cfg, version, &m)) != LMC_OK) goto fail;
    for (size_t i = 0; i < m->nt; i++) {
        ex_tensor *t = &m->t[i];
        st_entry *e = NULL;
        for (size_t j = 0; j < h.n; j++)
            if (strcmp(h.e[j].name, t->name) == 0) e = &h.e[j];
        if (!e) {
            st = lmc_set_error(LMC_ERR_MODEL, "coding model: tensor '%s' missing", t->name);
            goto fail;
        }
        e->used = 1;
        const char *dt = t->is_i16 ? "I16" : "I32";
        int w = t->is_i16 ? 2 : 4;
        if (strcmp(e->dtype, dt) != 0 || e->ndim != t->ndim || e->shape[0] != t->shape[0] ||
            (t->ndim == 2 && e->shape[1] != t->shape[1]) || e->end - e->begin != (uint64_t)t->size * (uint64_t)w) {
            st = lmc_set_error(LMC_ERR_MODEL, "coding model: tensor '%s' is not %s of shape [%zu%s%zu] (%zu bytes)", t->name, dt,
                               t->shape[0], t->ndim == 2 ? "," : "", t->ndim == 2 ? t->shape[1] : (size_t)0,
                               t->size * (size_t)w);
            goto fail;
        }
        const uint8_t *src = body + e->begin;
        for (size_t k = 0; k < t->size; k++, src += w) {
            if (w == 2) m->blob[t->offset + k] = (int16_t)(uint16_t)(src[0] | src[1] << 8);
            else m->blob[t->offset + k] = (int32_t)((uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24);
        }
    }
    for (size_t j = 0; j < h.n; j++)
        if (!h.e[j].used) {
            st = lmc_set_error(LMC_ERR_MODEL, "coding model: unexpected tensor '%s'", h.e[j].name);
            goto fail;
        }
    if ((st = check_values(m)) != LMC_OK) goto fail;
    if ((st = lmc_exact_model_finish(m)) != LMC_OK) goto fail;
    free(h.e);
    *out = m;
    return LMC_OK;
fail:
    free(h.e);
    lmc_exact_model_destroy(m);
    return st;
}

lmc_status lmc_exact_model_load(const char *path, lmc_exact_model **out) {
    LMC_RETURN_IF(!path || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_exact_model_load: NULL argument");
    *out = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    LMC_TRY(lmc_file_read_all(path, &buf, &n));
    lmc_status st = lmc_exact_model_load_memory(buf, n, out);
    if (st == LMC_ERR_MODEL) st = lmc_set_error(LMC_ERR_MODEL, "%s: %s", path, lmc_last_error());
    free(buf);
    return st;
}
