/* plot_png.h : a small line chart of training curves written as PNG (libpng), for `lmc train`. */
#ifndef LMC_PLOT_PNG_H
#define LMC_PLOT_PNG_H

#include <stddef.h>

/* One curve: n points (x[i], y[i]); NAN y values are skipped. rgb is the colour. */
typedef struct plot_series {
    const double *x, *y;
    size_t n;
    unsigned char rgb[3];
    int markers; /* draw a small square at every point */
} plot_series;

/* plot_png_write() : draw the series on shared axes (x from 0 to the largest x, y over the
 * range of all values) with tick labels, and write `path` as an 8-bit RGB PNG.
 * @return 0 on success, -1 on an I/O or libpng error. */
int plot_png_write(const char *path, const plot_series *series, size_t n_series);

#endif /* LMC_PLOT_PNG_H */
