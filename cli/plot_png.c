/* plot_png.c : raster charts (plot_png.h). Deliberately tiny: a white canvas, axes with ticks and
 * their values in a 3x5 pixel font drawn at scale 2, Bresenham lines. Two charts: the training
 * curves (x from 0, linear) and the scaling plot (log x, panels, legend, reference lines).
 * Deterministic: the same input gives the same file. */
#define _POSIX_C_SOURCE 200809L
#include "plot_png.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct canvas {
    int w, h;
    unsigned char *px; /* h rows of w RGB pixels */
} canvas;

static int canvas_init(canvas *c, int w, int h) {
    c->w = w;
    c->h = h;
    c->px = malloc((size_t)w * (size_t)h * 3);
    if (!c->px) return -1;
    memset(c->px, 255, (size_t)w * (size_t)h * 3);
    return 0;
}

static void put(canvas *c, int x, int y, const unsigned char rgb[3]) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    memcpy(c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3, rgb, 3);
}

/* A Bresenham line; dash > 0 draws `dash` pixels on, `dash` off. */
static void line_dashed(canvas *c, int x0, int y0, int x1, int y1, const unsigned char rgb[3], int dash) {
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (int k = 0;; k++) {
        if (dash <= 0 || (k / dash) % 2 == 0) put(c, x0, y0, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

static void line(canvas *c, int x0, int y0, int x1, int y1, const unsigned char rgb[3]) {
    line_dashed(c, x0, y0, x1, y1, rgb, 0);
}

static void square(canvas *c, int x, int y, int r, const unsigned char rgb[3]) {
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) put(c, x + dx, y + dy, rgb);
}

/* 3x5 glyphs, one row per 3-bit value (4 = left column), top to bottom. */
static const unsigned char digit_glyphs[11][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7},
    {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}, {0, 0, 0, 0, 2},
};
static const unsigned char letter_glyphs[26][5] = {
    {2, 5, 7, 5, 5}, {6, 5, 6, 5, 6}, {3, 4, 4, 4, 3}, {6, 5, 5, 5, 6}, {7, 4, 6, 4, 7}, {7, 4, 6, 4, 4},
    {3, 4, 5, 5, 3}, {5, 5, 7, 5, 5}, {7, 2, 2, 2, 7}, {1, 1, 1, 5, 2}, {5, 5, 6, 5, 5}, {4, 4, 4, 4, 7},
    {5, 7, 7, 5, 5}, {6, 5, 5, 5, 5}, {2, 5, 5, 5, 2}, {6, 5, 6, 4, 4}, {2, 5, 5, 6, 3}, {6, 5, 6, 5, 5},
    {3, 4, 2, 1, 6}, {7, 2, 2, 2, 2}, {5, 5, 5, 5, 7}, {5, 5, 5, 5, 2}, {5, 5, 7, 7, 5}, {5, 5, 2, 5, 5},
    {5, 5, 2, 2, 2}, {7, 1, 2, 4, 7},
};
static const struct {
    char ch;
    unsigned char rows[5];
} sign_glyphs[] = {
    {'-', {0, 0, 7, 0, 0}}, {':', {0, 2, 0, 2, 0}}, {'/', {1, 1, 2, 4, 4}}, {'_', {0, 0, 0, 0, 7}},
    {'%', {5, 1, 2, 4, 5}}, {'(', {1, 2, 2, 2, 1}}, {')', {4, 2, 2, 2, 4}}, {'+', {0, 2, 7, 2, 0}},
    {',', {0, 0, 0, 2, 4}}, {'[', {3, 2, 2, 2, 3}}, {']', {6, 2, 2, 2, 6}}, {'=', {0, 7, 0, 7, 0}},
};

static const unsigned char *glyph(char ch, int digits_only) {
    if (ch >= '0' && ch <= '9') return digit_glyphs[ch - '0'];
    if (ch == '.') return digit_glyphs[10];
    if (digits_only) return NULL;
    int u = toupper((unsigned char)ch);
    if (u >= 'A' && u <= 'Z') return letter_glyphs[u - 'A'];
    for (size_t i = 0; i < sizeof sign_glyphs / sizeof sign_glyphs[0]; i++)
        if (sign_glyphs[i].ch == ch) return sign_glyphs[i].rows;
    return NULL;
}

/* Draw s at (x, y) top-left, scale 2, 8 pixels per character (the training plot: digits and '.'
 * only, as it always drew). */
static void text_font(canvas *c, int x, int y, const char *s, const unsigned char rgb[3], int digits_only) {
    for (; *s; s++, x += 8) {
        const unsigned char *g = glyph(*s, digits_only);
        if (!g) continue;
        for (int r = 0; r < 5; r++)
            for (int b = 0; b < 3; b++)
                if (g[r] & (4 >> b))
                    for (int k = 0; k < 4; k++) put(c, x + 2 * b + (k & 1), y + 2 * r + (k >> 1), rgb);
    }
}

static void text(canvas *c, int x, int y, const char *s, const unsigned char rgb[3]) {
    text_font(c, x, y, s, rgb, 1);
}

/* Write the canvas as an 8-bit RGB PNG to `path` directly. */
static int write_png(const char *path, const canvas *c) {
    volatile int rc = -1; /* survives a libpng longjmp */
    FILE *f = fopen(path, "wb");
    png_structp png = f ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info && setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, 8, PNG_COLOR_TYPE_RGB,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < c->h; y++) png_write_row(png, c->px + (size_t)y * (size_t)c->w * 3);
        png_write_end(png, NULL);
        rc = 0;
    }
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    if (f && fclose(f) != 0) rc = -1;
    return rc;
}

/* ---- training curves ---- */

#define W 800
#define H 480
#define ML 60 /* margins: left, right, top, bottom */
#define MR 20
#define MT 20
#define MB 40

int plot_png_write(const char *path, const plot_series *series, size_t n_series) {
    double xmax = 1, ymin = INFINITY, ymax = -INFINITY;
    for (size_t s = 0; s < n_series; s++)
        for (size_t i = 0; i < series[s].n; i++) {
            if (series[s].x[i] > xmax) xmax = series[s].x[i];
            if (isnan(series[s].y[i])) continue;
            if (series[s].y[i] < ymin) ymin = series[s].y[i];
            if (series[s].y[i] > ymax) ymax = series[s].y[i];
        }
    if (!(ymin <= ymax)) {
        ymin = 0;
        ymax = 8;
    }
    if (ymax - ymin < 1e-3) {
        ymin -= 0.5;
        ymax += 0.5;
    }
    canvas cv, *c = &cv;
    if (canvas_init(c, W, H) != 0) return -1;
    const unsigned char black[3] = {0, 0, 0}, grey[3] = {220, 220, 220};
    int pw = W - ML - MR, ph = H - MT - MB;
    for (int k = 0; k <= 4; k++) { /* y ticks and grid */
        int y = MT + ph - k * ph / 4;
        line(c, ML, y, ML + pw, y, grey);
        char label[32];
        snprintf(label, sizeof label, "%.2f", ymin + (ymax - ymin) * k / 4.0);
        text(c, 4, y - 5, label, black);
    }
    line(c, ML, MT, ML, MT + ph, black);
    line(c, ML, MT + ph, ML + pw, MT + ph, black);
    char xl[32];
    snprintf(xl, sizeof xl, "%.0f", xmax);
    text(c, ML + pw - 8 * (int)strlen(xl), MT + ph + 12, xl, black);
    text(c, ML - 4, MT + ph + 12, "0", black);
    for (size_t s = 0; s < n_series; s++) {
        int have = 0, px = 0, py = 0;
        for (size_t i = 0; i < series[s].n; i++) {
            if (isnan(series[s].y[i])) continue;
            int x = ML + (int)lround(series[s].x[i] / xmax * pw);
            int y = MT + ph - (int)lround((series[s].y[i] - ymin) / (ymax - ymin) * ph);
            if (have) line(c, px, py, x, y, series[s].rgb);
            if (series[s].markers) square(c, x, y, 2, series[s].rgb);
            px = x;
            py = y;
            have = 1;
        }
    }
    int rc = write_png(path, c);
    free(c->px);
    return rc;
}

/* ---- the scaling plot ---- */

#define SW 1000 /* canvas width; each panel is SPH tall */
#define SPH 400
#define SML 70 /* panel margins: left, right (the legend), top (the title), bottom */
#define SMR 260
#define SMT 40
#define SMB 50

/* 10^k as "1", "10", "100", "1K", ... "100G". */
static void decade_label(int k, char *out, size_t cap) {
    static const char suffix[] = {'\0', 'K', 'M', 'G', 'T'};
    if (k < 0 || k >= 15) {
        snprintf(out, cap, "1E%d", k);
        return;
    }
    int unit = k / 3, zeros = k % 3;
    snprintf(out, cap, "%s%c", zeros == 0 ? "1" : zeros == 1 ? "10" : "100", suffix[unit]);
}

static void draw_panel(canvas *c, int top, const plot_panel *p, const char *x_label, const char *y_label) {
    const unsigned char black[3] = {0, 0, 0}, grey[3] = {225, 225, 225}, dark[3] = {90, 90, 90};
    int x0 = SML, pw = SW - SML - SMR, y0 = top + SMT, ph = SPH - SMT - SMB;
    /* x: whole decades around the curves' x (at least one decade each side of a single value) */
    double lo = INFINITY, hi = -INFINITY, cap_base = 0.0, ymax_all = 0.0;
    for (size_t k = 0; k < p->n_curves; k++)
        for (size_t i = 0; i < p->curves[k].n; i++) {
            double x = p->curves[k].x[i], y = p->curves[k].y[i];
            if (!(x > 0) || isnan(y)) continue;
            lo = fmin(lo, log10(x));
            hi = fmax(hi, log10(x));
            ymax_all = fmax(ymax_all, y);
            if (k == 0) cap_base = fmax(cap_base, y);
        }
    for (size_t r = 0; r < p->n_refs; r++) {
        cap_base = fmax(cap_base, p->refs[r].y);
        ymax_all = fmax(ymax_all, p->refs[r].y);
    }
    if (!(lo <= hi)) lo = hi = 5.0;
    int dlo = (int)floor(lo), dhi = (int)ceil(hi);
    if (dhi - dlo < 2) {
        dlo = (int)floor(lo - 0.5);
        dhi = (int)ceil(hi + 0.5);
    }
    double ymax = fmin(ymax_all, fmax(100.0, 1.25 * cap_base));
    if (!(ymax > 0)) ymax = 100.0;
    /* round the top up to a multiple of 5 ticks of a 1/2/5 step */
    double raw_step = ymax / 5.0, mag = pow(10.0, floor(log10(raw_step))), step = mag;
    if (raw_step > 5 * mag)
        step = 10 * mag;
    else if (raw_step > 2 * mag)
        step = 5 * mag;
    else if (raw_step > mag)
        step = 2 * mag;
    int n_ticks = (int)ceil(ymax / step - 1e-9);
    if (n_ticks < 1) n_ticks = 1;
    ymax = step * n_ticks;
#define PX(lx) (x0 + (int)lround(((lx)-dlo) / (double)(dhi - dlo) * pw))
#define PY(v) (y0 + ph - (int)lround((v) / ymax * ph))
    text_font(c, x0, top + 6, p->title ? p->title : "", black, 0);
    for (int k = 0; k <= n_ticks; k++) {
        int y = PY(step * k);
        line(c, x0, y, x0 + pw, y, grey);
        char label[32];
        snprintf(label, sizeof label, step >= 1 ? "%.0f" : "%.1f", step * k);
        text_font(c, x0 - 8 - 8 * (int)strlen(label), y - 5, label, black, 0);
    }
    for (int d = dlo; d <= dhi; d++) {
        int x = PX((double)d);
        line(c, x, y0, x, y0 + ph, grey);
        char label[16];
        decade_label(d, label, sizeof label);
        text_font(c, x - 4 * (int)strlen(label), y0 + ph + 8, label, black, 0);
    }
    line(c, x0, y0, x0, y0 + ph, black);
    line(c, x0, y0 + ph, x0 + pw, y0 + ph, black);
    text_font(c, x0 + pw / 2 - 4 * (int)strlen(x_label), y0 + ph + 28, x_label, black, 0);
    text_font(c, 4, top + 24, y_label, dark, 0);
    int ly = y0; /* legend */
    for (size_t r = 0; r < p->n_refs; r++) {
        int y = PY(fmin(p->refs[r].y, ymax));
        line_dashed(c, x0, y, x0 + pw, y, p->refs[r].rgb, 6);
        line_dashed(c, x0, y + 1, x0 + pw, y + 1, p->refs[r].rgb, 6);
    }
    for (size_t k = 0; k < p->n_curves; k++) {
        const plot_curve *cu = &p->curves[k];
        int have = 0, px = 0, py = 0;
        for (size_t i = 0; i < cu->n; i++) {
            if (!(cu->x[i] > 0) || isnan(cu->y[i])) continue;
            int over = cu->y[i] > ymax;
            int x = PX(log10(cu->x[i])), y = PY(over ? ymax : cu->y[i]);
            if (have) line(c, px, py, x, y, cu->rgb);
            square(c, x, y, 3, cu->rgb);
            if (over) {
                char v[32];
                snprintf(v, sizeof v, "%.0f", cu->y[i]);
                text_font(c, x + 6, y + 4, v, cu->rgb, 0);
            }
            if (cu->labels && cu->labels[i]) text_font(c, x + 6, y - 14, cu->labels[i], cu->rgb, 0);
            px = x;
            py = y;
            have = 1;
        }
        square(c, x0 + pw + 20, ly + 5, 4, cu->rgb);
        text_font(c, x0 + pw + 32, ly, cu->label ? cu->label : "", black, 0);
        ly += 20;
    }
    for (size_t r = 0; r < p->n_refs; r++) {
        line(c, x0 + pw + 12, ly + 5, x0 + pw + 28, ly + 5, p->refs[r].rgb);
        line(c, x0 + pw + 12, ly + 6, x0 + pw + 28, ly + 6, p->refs[r].rgb);
        text_font(c, x0 + pw + 32, ly, p->refs[r].label ? p->refs[r].label : "", black, 0);
        ly += 20;
    }
#undef PX
#undef PY
}

int plot_png_scaling(const char *path, const plot_panel *panels, size_t n_panels, const char *x_label,
                     const char *y_label) {
    if (n_panels == 0 || n_panels > 64) {
        errno = EINVAL;
        return -1;
    }
    canvas cv;
    if (canvas_init(&cv, SW, SPH * (int)n_panels) != 0) return -1;
    for (size_t i = 0; i < n_panels; i++) draw_panel(&cv, SPH * (int)i, &panels[i], x_label, y_label);
    size_t len = strlen(path) + 8;
    char *tmp = malloc(len);
    int rc = -1;
    if (tmp) {
        snprintf(tmp, len, "%s.tmp", path);
        rc = write_png(tmp, &cv);
        if (rc == 0 && rename(tmp, path) != 0) rc = -1;
        if (rc != 0) {
            int e = errno;
            unlink(tmp);
            errno = e;
        }
        free(tmp);
    }
    free(cv.px);
    return rc;
}
