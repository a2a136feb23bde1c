/* plot_png.c : raster line chart for the training curves (plot_png.h). Deliberately tiny: a
 * white canvas, axes with five y ticks and their values in a 3x5 pixel digit font, the largest
 * step under the x axis, Bresenham lines. Deterministic: the same series give the same file. */
#include "plot_png.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 800
#define H 480
#define ML 60 /* margins: left, right, top, bottom */
#define MR 20
#define MT 20
#define MB 40

typedef struct canvas {
    unsigned char px[H][W][3];
} canvas;

static void put(canvas *c, int x, int y, const unsigned char rgb[3]) {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    memcpy(c->px[y][x], rgb, 3);
}

static void line(canvas *c, int x0, int y0, int x1, int y1, const unsigned char rgb[3]) {
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (;;) {
        put(c, x0, y0, rgb);
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

/* 3x5 glyphs for "0123456789.", one row per 3-bit value, top to bottom. */
static const unsigned char glyphs[11][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7},
    {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}, {0, 0, 0, 0, 2},
};

/* Draw text (digits and '.') at (x, y) top-left, scale 2. */
static void text(canvas *c, int x, int y, const char *s, const unsigned char rgb[3]) {
    for (; *s; s++, x += 8) {
        int g = *s == '.' ? 10 : (*s >= '0' && *s <= '9') ? *s - '0' : -1;
        if (g < 0) continue;
        for (int r = 0; r < 5; r++)
            for (int b = 0; b < 3; b++)
                if (glyphs[g][r] & (4 >> b))
                    for (int k = 0; k < 4; k++) put(c, x + 2 * b + (k & 1), y + 2 * r + (k >> 1), rgb);
    }
}

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
    canvas *c = malloc(sizeof *c);
    if (!c) return -1;
    memset(c->px, 255, sizeof c->px);
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
            if (series[s].markers)
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++) put(c, x + dx, y + dy, series[s].rgb);
            px = x;
            py = y;
            have = 1;
        }
    }
    volatile int rc = -1; /* survives a libpng longjmp */
    FILE *f = fopen(path, "wb");
    png_structp png = f ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info && setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < H; y++) png_write_row(png, &c->px[y][0][0]);
        png_write_end(png, NULL);
        rc = 0;
    }
    if (png) png_destroy_write_struct(&png, info ? &info : NULL);
    if (f && fclose(f) != 0) rc = -1;
    free(c);
    return rc;
}
