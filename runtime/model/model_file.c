/* model_file.c : lmc-float-1 model files: safetensors (DESIGN.md §2) written and read.
 *
 * Layout: an 8-byte little-endian header length n, then n bytes of JSON (an object: the
 * `__metadata__` object of string values, then one entry per tensor {"data_offsets":[begin,end],
 * "dtype":"F32","shape":[...]}), padded with spaces to a multiple of 8, then the raw tensors,
 * float32 little-endian, row-major, matrices (in, out).
 * Invariant: writing is canonical (keys sorted bytewise, tensor data in name order, no
 * timestamps), so a model always gives the same bytes; reading accepts any key order and layout
 * that safetensors allows but insists on exactly the tensors, shapes and dtype of the
 * configuration its metadata names, with the data section fully and exactly covered. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"

#define MAX_HEADER_BYTES (100u << 20)

/* ---- a growable text buffer ---- */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_add(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

static int cmp_desc_name(const void *a, const void *b) {
    return strcmp(((const lmc_tensor_desc *)a)->name, ((const lmc_tensor_desc *)b)->name);
}

lmc_status lmc_model_serialize(const lmc_model *model, uint8_t **data, size_t *size) {
    LMC_RETURN_IF(!model || !data || !size, LMC_ERR_INVALID_ARGUMENT, "lmc_model_serialize: NULL argument");
    *data = NULL;
    *size = 0;
    const lmc_model_config *cfg = &model->config;
    size_t nt = lmc_model_num_tensors(cfg);
    lmc_tensor_desc *descs = malloc(nt * sizeof *descs);
    sbuf js = {0};
    uint8_t *out = NULL;
    lmc_status st = LMC_OK;
    if (!descs) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "tensor table");
        goto fail;
    }
    for (size_t i = 0; i < nt; i++) lmc_model_tensor_desc(cfg, i, &descs[i]);
    qsort(descs, nt, sizeof *descs, cmp_desc_name);
    /* "__metadata__" sorts before every tensor name ('_' < 'a'); its keys are sorted too. */
    sb_add(&js, "{\"__metadata__\":{\"context\":\"%d\",\"d_model\":\"%d\",\"format\":\"%s\","
                "\"n_heads\":\"%d\",\"n_layers\":\"%d\"}",
           cfg->context, cfg->d_model, LMC_MODEL_FORMAT, cfg->n_heads, cfg->n_layers);
    size_t off = 0;
    for (size_t i = 0; i < nt; i++) {
        size_t bytes = descs[i].size * 4;
        sb_add(&js, ",\"%s\":{\"data_offsets\":[%zu,%zu],\"dtype\":\"F32\",\"shape\":[%zu", descs[i].name,
               off, off + bytes, descs[i].shape[0]);
        if (descs[i].ndim == 2) sb_add(&js, ",%zu", descs[i].shape[1]);
        sb_add(&js, "]}");
        off += bytes;
    }
    sb_add(&js, "}");
    while (!js.oom && js.n % 8 != 0) sb_add(&js, " ");
    if (js.oom) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model header");
        goto fail;
    }
    size_t total = 8 + js.n + off;
    out = malloc(total);
    if (!out) {
        st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model file image of %zu bytes", total);
        goto fail;
    }
    for (int k = 0; k < 8; k++) out[k] = (uint8_t)((uint64_t)js.n >> (8 * k));
    memcpy(out + 8, js.p, js.n);
    uint8_t *dst = out + 8 + js.n;
    for (size_t i = 0; i < nt; i++) {
        const float *src = model->params + descs[i].offset;
        for (size_t k = 0; k < descs[i].size; k++) {
            uint32_t u;
            memcpy(&u, &src[k], 4);
            dst[0] = (uint8_t)u;
            dst[1] = (uint8_t)(u >> 8);
            dst[2] = (uint8_t)(u >> 16);
            dst[3] = (uint8_t)(u >> 24);
            dst += 4;
        }
    }
    *data = out;
    *size = total;
    out = NULL;
fail:
    free(out);
    free(js.p);
    free(descs);
    return st;
}

lmc_status lmc_file_write_atomic(const char *path, const void *data, size_t size) {
    const uint8_t *img = data;
    size_t plen = strlen(path) + 32;
    char *tmp = malloc(plen);
    lmc_status st = LMC_OK;
    int fd = -1;
    if (!tmp) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "path");
    snprintf(tmp, plen, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        st = lmc_set_error(LMC_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        goto fail;
    }
    for (size_t done = 0; done < size;) {
        ssize_t k = write(fd, img + done, size - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            st = lmc_set_error(LMC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
            goto fail;
        }
        done += (size_t)k;
    }
    if (fsync(fd) != 0) {
        st = lmc_set_error(LMC_ERR_IO, "cannot sync %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = lmc_set_error(LMC_ERR_IO, "cannot close %s: %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st = lmc_set_error(LMC_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto fail;
    }
fail:
    if (fd >= 0) close(fd);
    if (st != LMC_OK) unlink(tmp);
    free(tmp);
    return st;
}

lmc_status lmc_model_save(const lmc_model *model, const char *path) {
    LMC_RETURN_IF(!model || !path, LMC_ERR_INVALID_ARGUMENT, "lmc_model_save: NULL argument");
    uint8_t *img = NULL;
    size_t size = 0;
    LMC_TRY(lmc_model_serialize(model, &img, &size));
    lmc_status st = lmc_file_write_atomic(path, img, size);
    free(img);
    return st;
}

lmc_status lmc_file_read_all(const char *path, uint8_t **data, size_t *size) {
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lmc_set_error(errno == ENOENT ? LMC_ERR_NOT_FOUND : LMC_ERR_IO, "cannot open %s: %s", path,
                             strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    lmc_status st = LMC_OK;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : (1u << 20);
            uint8_t *q = realloc(buf, nc);
            if (!q) {
                st = lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "reading %s", path);
                goto fail;
            }
            buf = q;
            cap = nc;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (ferror(f)) {
        st = lmc_set_error(LMC_ERR_IO, "cannot read %s", path);
        goto fail;
    }
    *data = buf;
    *size = n;
    buf = NULL;
fail:
    fclose(f);
    free(buf);
    return st;
}

/* ---- reading ---- */

typedef struct jparser {
    const char *s;
    size_t n, i;
} jparser;

#define JFAIL(...) return lmc_set_error(LMC_ERR_MODEL, "model file header: " __VA_ARGS__)

static void jws(jparser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static lmc_status jexpect(jparser *p, char c) {
    jws(p);
    if (p->i >= p->n || p->s[p->i] != c) JFAIL("expected '%c' at byte %zu", c, p->i + 8);
    p->i++;
    return LMC_OK;
}

/* A JSON string into out (cap bytes). Only ASCII: \uXXXX above 0x7F and control characters are
 * rejected, which no valid lmc name or value needs. */
static lmc_status jstring(jparser *p, char *out, size_t cap) {
    LMC_TRY(jexpect(p, '"'));
    size_t k = 0;
    for (;;) {
        if (p->i >= p->n) JFAIL("unterminated string");
        char c = p->s[p->i++];
        if (c == '"') break;
        if ((unsigned char)c < 0x20) JFAIL("control character in a string at byte %zu", p->i + 7);
        if (c == '\\') {
            if (p->i >= p->n) JFAIL("unterminated escape");
            char e = p->s[p->i++];
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int j = 0; j < 4; j++) {
                    if (p->i >= p->n) JFAIL("unterminated \\u escape");
                    char h = p->s[p->i++];
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
                    else JFAIL("bad \\u escape");
                }
                if (v == 0 || v > 0x7F) JFAIL("non-ASCII \\u%04x escape", v);
                c = (char)v;
                break;
            }
            default: JFAIL("bad escape '\\%c'", e);
            }
        }
        if (k + 1 >= cap) JFAIL("string longer than %zu bytes at byte %zu", cap - 1, p->i + 8);
        out[k++] = c;
    }
    out[k] = '\0';
    return LMC_OK;
}

static lmc_status juint(jparser *p, uint64_t *v) {
    jws(p);
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') JFAIL("expected an integer at byte %zu", p->i + 8);
    uint64_t x = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        uint64_t d = (uint64_t)(p->s[p->i] - '0');
        if (x > (UINT64_MAX - d) / 10) JFAIL("integer overflow at byte %zu", p->i + 8);
        x = x * 10 + d;
        p->i++;
    }
    *v = x;
    return LMC_OK;
}

/* [u, u, ...] with at most `cap` values. */
static lmc_status juint_array(jparser *p, uint64_t *vals, int cap, int *count) {
    LMC_TRY(jexpect(p, '['));
    *count = 0;
    jws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return LMC_OK;
    }
    for (;;) {
        if (*count >= cap) JFAIL("array longer than %d", cap);
        LMC_TRY(juint(p, &vals[(*count)++]));
        jws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        return jexpect(p, ']');
    }
}

/* Calls member(key) for each key of an object; the callback parses the value. */
static lmc_status jobject(jparser *p, lmc_status (*member)(jparser *, const char *, void *), void *ctx) {
    LMC_TRY(jexpect(p, '{'));
    jws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return LMC_OK;
    }
    for (;;) {
        char key[128];
        LMC_TRY(jstring(p, key, sizeof key));
        LMC_TRY(jexpect(p, ':'));
        LMC_TRY(member(p, key, ctx));
        jws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        return jexpect(p, '}');
    }
}

static lmc_status meta_member(jparser *p, const char *key, void *ctx) {
    st_header *h = ctx;
    char value[256];
    LMC_TRY(jstring(p, value, sizeof value));
    struct {
        const char *key;
        char *dst;
        size_t cap;
    } known[] = {{"format", h->format, sizeof h->format},   {"d_model", h->d_model, sizeof h->d_model},
                 {"n_layers", h->n_layers, sizeof h->n_layers}, {"n_heads", h->n_heads, sizeof h->n_heads},
                 {"context", h->context, sizeof h->context}};
    /* Other metadata keys are allowed (safetensors tools add their own) and ignored. */
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(key, known[i].key) == 0) {
            if (known[i].dst[0]) JFAIL("metadata key '%s' repeated", key);
            if (strlen(value) >= known[i].cap || !value[0]) JFAIL("metadata '%s' value '%s' invalid", key, value);
            strcpy(known[i].dst, value);
        }
    return LMC_OK;
}

static lmc_status tensor_member(jparser *p, const char *key, void *ctx) {
    st_entry *e = ctx;
    if (strcmp(key, "dtype") == 0) {
        if (e->has_dtype) JFAIL("tensor '%s': dtype repeated", e->name);
        e->has_dtype = 1;
        return jstring(p, e->dtype, sizeof e->dtype);
    }
    if (strcmp(key, "shape") == 0) {
        if (e->has_shape) JFAIL("tensor '%s': shape repeated", e->name);
        e->has_shape = 1;
        return juint_array(p, e->shape, 8, &e->ndim);
    }
    if (strcmp(key, "data_offsets") == 0) {
        if (e->has_offsets) JFAIL("tensor '%s': data_offsets repeated", e->name);
        e->has_offsets = 1;
        uint64_t v[2];
        int k = 0;
        LMC_TRY(juint_array(p, v, 2, &k));
        if (k != 2 || v[1] < v[0]) JFAIL("tensor '%s': data_offsets must be [begin, end]", e->name);
        e->begin = v[0];
        e->end = v[1];
        return LMC_OK;
    }
    JFAIL("tensor '%s': unknown key '%s'", e->name, key);
}

static lmc_status top_member(jparser *p, const char *key, void *ctx) {
    st_header *h = ctx;
    if (strcmp(key, "__metadata__") == 0) {
        if (h->has_metadata) JFAIL("__metadata__ repeated");
        h->has_metadata = 1;
        return jobject(p, meta_member, h);
    }
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->e[i].name, key) == 0) JFAIL("tensor '%s' listed twice", key);
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        st_entry *q = realloc(h->e, cap * sizeof *q);
        if (!q) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model header");
        h->e = q;
        h->cap = cap;
    }
    st_entry *e = &h->e[h->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", key);
    LMC_TRY(jobject(p, tensor_member, e));
    if (!e->has_dtype || !e->has_shape || !e->has_offsets)
        JFAIL("tensor '%s' lacks dtype, shape or data_offsets", key);
    return LMC_OK;
}

static lmc_status parse_int_field(const char *name, const char *text, int *out) {
    if (!text[0]) return lmc_set_error(LMC_ERR_MODEL, "model file: metadata '%s' missing", name);
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < 1 || v > (1L << 30) || text[0] == '+' || text[0] == ' ')
        return lmc_set_error(LMC_ERR_MODEL, "model file: metadata '%s' = '%s' is not a positive integer", name, text);
    *out = (int)v;
    return LMC_OK;
}


static int cmp_entry_begin(const void *a, const void *b) {
    const st_entry *x = *(st_entry *const *)a, *y = *(st_entry *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* The 8-byte length and the JSON header into h; body and body_len locate the data section.
 * Shared by both loaders; each checks __metadata__ itself, with its own message. */
static lmc_status st_parse_header(const uint8_t *data, size_t size, st_header *h, const uint8_t **body,
                                  size_t *body_len) {
    LMC_RETURN_IF(size < 8, LMC_ERR_MODEL, "model file: %zu bytes, shorter than the 8-byte header length", size);
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++) hlen |= (uint64_t)data[k] << (8 * k);
    LMC_RETURN_IF(hlen > MAX_HEADER_BYTES, LMC_ERR_MODEL,
                  "model file: header length %llu is not plausible (not a safetensors file?)", (unsigned long long)hlen);
    LMC_RETURN_IF(hlen > size - 8, LMC_ERR_MODEL, "model file truncated: header of %llu bytes, file has %zu",
                  (unsigned long long)hlen, size);
    jparser p = {(const char *)data + 8, (size_t)hlen, 0};
    LMC_TRY(jobject(&p, top_member, h));
    jws(&p);
    LMC_RETURN_IF(p.i != p.n, LMC_ERR_MODEL, "model file header: trailing bytes after the JSON object");
    *body = data + 8 + hlen;
    *body_len = size - 8 - (size_t)hlen;
    return LMC_OK;
}

/* The data section is covered exactly: no overlaps, no holes, nothing after the end. */
static lmc_status st_check_coverage(const st_header *h, size_t body_len) {
    st_entry **order = malloc((h->n ? h->n : 1) * sizeof *order);
    if (!order) return lmc_set_error(LMC_ERR_OUT_OF_MEMORY, "model header");
    for (size_t j = 0; j < h->n; j++) order[j] = &h->e[j];
    qsort(order, h->n, sizeof *order, cmp_entry_begin);
    uint64_t pos = 0;
    for (size_t j = 0; j < h->n; j++) {
        if (order[j]->begin != pos) {
            char name[128];
            snprintf(name, sizeof name, "%s", order[j]->name);
            unsigned long long begin = (unsigned long long)order[j]->begin;
            free(order);
            return lmc_set_error(LMC_ERR_MODEL, "model file: tensor '%s' starts at data byte %llu, expected %llu "
                                 "(overlap or hole)", name, begin, (unsigned long long)pos);
        }
        pos = order[j]->end;
    }
    free(order);
    LMC_RETURN_IF(pos > body_len, LMC_ERR_MODEL, "model file truncated: tensors end at data byte %llu, the file holds %zu",
                  (unsigned long long)pos, body_len);
    LMC_RETURN_IF(pos != body_len, LMC_ERR_MODEL, "model file: %llu bytes after the last tensor",
                  (unsigned long long)(body_len - pos));
    return LMC_OK;
}

lmc_status lmc_st_parse(const uint8_t *data, size_t size, st_header *h, const uint8_t **body, size_t *body_len) {
    LMC_TRY(st_parse_header(data, size, h, body, body_len));
    LMC_RETURN_IF(!h->has_metadata, LMC_ERR_MODEL, "model file: no __metadata__");
    return st_check_coverage(h, *body_len);
}

static lmc_status load_checked(const uint8_t *data, size_t size, st_header *h, lmc_model **out) {
    const uint8_t *body = NULL;
    size_t body_len = 0;
    LMC_TRY(st_parse_header(data, size, h, &body, &body_len));
    LMC_RETURN_IF(!h->has_metadata, LMC_ERR_MODEL, "model file: no __metadata__ (format %s expected)", LMC_MODEL_FORMAT);
    LMC_RETURN_IF(strcmp(h->format, LMC_MODEL_FORMAT) != 0, LMC_ERR_MODEL,
                  "model file: metadata format '%s', expected '%s'", h->format[0] ? h->format : "(missing)",
                  LMC_MODEL_FORMAT);
    lmc_model_config cfg;
    LMC_TRY(parse_int_field("d_model", h->d_model, &cfg.d_model));
    LMC_TRY(parse_int_field("n_layers", h->n_layers, &cfg.n_layers));
    LMC_TRY(parse_int_field("n_heads", h->n_heads, &cfg.n_heads));
    LMC_TRY(parse_int_field("context", h->context, &cfg.context));
    if (lmc_model_config_check(&cfg) != LMC_OK)
        return lmc_set_error(LMC_ERR_MODEL, "model file: metadata describes no valid model: %s",
                             lmc_last_error());
    size_t nt = lmc_model_num_tensors(&cfg);
    /* Every expected tensor, with its dtype and shape, inside the data. */
    for (size_t i = 0; i < nt; i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        st_entry *e = NULL;
        for (size_t j = 0; j < h->n; j++)
            if (strcmp(h->e[j].name, d.name) == 0) e = &h->e[j];
        LMC_RETURN_IF(!e, LMC_ERR_MODEL, "model file: tensor '%s' missing", d.name);
        e->used = 1;
        LMC_RETURN_IF(strcmp(e->dtype, "F32") != 0, LMC_ERR_MODEL, "model file: tensor '%s' has dtype %s, expected F32",
                      d.name, e->dtype);
        int shape_ok = e->ndim == d.ndim && e->shape[0] == d.shape[0] && (d.ndim == 1 || e->shape[1] == d.shape[1]);
        if (!shape_ok) {
            char got[96] = "";
            size_t k = 0;
            for (int j = 0; j < e->ndim && k < sizeof got - 24; j++)
                k += (size_t)snprintf(got + k, sizeof got - k, "%s%llu", j ? "," : "", (unsigned long long)e->shape[j]);
            if (d.ndim == 2)
                return lmc_set_error(LMC_ERR_MODEL, "model file: tensor '%s' has shape [%s], expected [%zu,%zu]",
                                     d.name, got, d.shape[0], d.shape[1]);
            return lmc_set_error(LMC_ERR_MODEL, "model file: tensor '%s' has shape [%s], expected [%zu]", d.name, got,
                                 d.shape[0]);
        }
        LMC_RETURN_IF(e->end - e->begin != (uint64_t)d.size * 4, LMC_ERR_MODEL,
                      "model file: tensor '%s' data_offsets span %llu bytes, its shape needs %zu", d.name,
                      (unsigned long long)(e->end - e->begin), d.size * 4);
        LMC_RETURN_IF(e->end > body_len, LMC_ERR_MODEL,
                      "model file truncated: tensor '%s' ends at data byte %llu, the file holds %zu data bytes",
                      d.name, (unsigned long long)e->end, body_len);
    }
    for (size_t j = 0; j < h->n; j++)
        LMC_RETURN_IF(!h->e[j].used, LMC_ERR_MODEL, "model file: unexpected tensor '%s' for d_model %d, %d layers",
                      h->e[j].name, cfg.d_model, cfg.n_layers);
    /* Tensors are checked first, so that a missing or misshapen one is named before a hole. */
    LMC_TRY(st_check_coverage(h, body_len));
    lmc_model *m = NULL;
    LMC_TRY(lmc_model_alloc(&cfg, &m));
    for (size_t i = 0; i < nt; i++) {
        lmc_tensor_desc d;
        lmc_model_tensor_desc(&cfg, i, &d);
        const st_entry *e = NULL;
        for (size_t j = 0; j < h->n; j++)
            if (strcmp(h->e[j].name, d.name) == 0) e = &h->e[j];
        const uint8_t *src = body + e->begin;
        float *dst = m->params + d.offset;
        for (size_t k = 0; k < d.size; k++, src += 4) {
            uint32_t u = (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
            memcpy(&dst[k], &u, 4);
            /* A NaN or infinity can only come from a broken file or a diverged run. */
            if ((u & 0x7F800000u) == 0x7F800000u) {
                lmc_model_destroy(m);
                return lmc_set_error(LMC_ERR_MODEL, "model file: tensor '%s' holds a non-finite value at index %zu",
                                     d.name, k);
            }
        }
    }
    *out = m;
    return LMC_OK;
}

lmc_status lmc_model_load_memory(const void *data, size_t size, lmc_model **out) {
    LMC_RETURN_IF(!out || (!data && size), LMC_ERR_INVALID_ARGUMENT, "lmc_model_load_memory: NULL argument");
    *out = NULL;
    st_header h;
    memset(&h, 0, sizeof h);
    lmc_status st = load_checked(data, size, &h, out);
    free(h.e);
    return st;
}

lmc_status lmc_model_load(const char *path, lmc_model **out) {
    LMC_RETURN_IF(!path || !out, LMC_ERR_INVALID_ARGUMENT, "lmc_model_load: NULL argument");
    *out = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    LMC_TRY(lmc_file_read_all(path, &buf, &n));
    lmc_status st = lmc_model_load_memory(buf, n, out);
    if (st == LMC_ERR_MODEL) st = lmc_set_error(LMC_ERR_MODEL, "%s: %s", path, lmc_last_error());
    free(buf);
    return st;
}
