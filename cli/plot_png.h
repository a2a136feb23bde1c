/* plot_png.h : small raster charts written as PNG (libpng): the training curves of `lmc train`
 * and the scaling plot of `lmc eval --plot` (rate vs parameters, DESIGN.md §6). */
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

/* ---- the scaling plot ---- */

/* Points (x[i] > 0, y[i]) joined in the order given, each with a square marker; labels[i] (may
 * be NULL, as may labels) is printed beside point i. */
typedef struct plot_curve {
    const double *x, *y;
    const char *const *labels;
    size_t n;
    unsigned char rgb[3];
    const char *label; /* the legend's text */
} plot_curve;

/* A horizontal reference line across the panel (a classical compressor's rate). */
typedef struct plot_ref {
    double y;
    unsigned char rgb[3];
    const char *label;
} plot_ref;

typedef struct plot_panel {
    const char *title;
    const plot_curve *curves;
    size_t n_curves;
    const plot_ref *refs;
    size_t n_refs;
} plot_panel;

/* plot_png_scaling() : one panel per entry, stacked top to bottom, each with a log10 x axis
 * (decades labelled 10K, 100K, 1M, ...) over its curves' x, a linear y axis from 0 over the
 * curves and reference lines (capped at max(100, 1.25 x the largest reference or first-curve
 * value): points above are drawn on the top edge with their value), a legend on the right. Text
 * is upper-cased into a 3x5 pixel font (letters, digits, ". : / _ - % ( ) + , [ ] ="; anything
 * else is a blank). Written atomically: PATH.tmp, then renamed. Deterministic.
 * @return 0, or -1 on an I/O or libpng error (errno set by the failing call). */
int plot_png_scaling(const char *path, const plot_panel *panels, size_t n_panels, const char *x_label,
                     const char *y_label);

#endif /* LMC_PLOT_PNG_H */
