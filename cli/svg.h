/* Charts as SVG files, for slides and papers: grouped bars with a baseline,
 * and heatmaps with a colour scale. Written whole to a temporary file and
 * renamed, so a failure leaves nothing half-written. */
#ifndef MT_SVG_H
#define MT_SVG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct svg_bars {
    const char *title, *x_label, *y_label;
    size_t n_groups, n_series;
    const char *const *group_labels;  /* [n_groups] */
    const char *const *series_names;  /* [n_series] */
    const double *values;             /* [n_series][n_groups] */
    double baseline;                  /* drawn dashed when baseline_label is set */
    const char *baseline_label;
} svg_bars;

typedef struct svg_heatmap {
    const char *title, *x_label, *y_label, *scale_label;
    size_t rows, cols;
    const char *const *row_labels, *const *col_labels; /* may be NULL: numbered */
    const double *values;             /* [rows][cols] */
    double max;                       /* the colour scale's top (0 is its bottom) */
} svg_heatmap;

/* A table of labelled cells: each cell holds a short text (e.g. the experts
 * carrying a label) on a background shaded by its value. */
typedef struct svg_label_grid {
    const char *title, *x_label, *y_label, *note;
    size_t rows, cols;
    const char *const *row_labels, *const *col_labels; /* [rows], [cols] */
    const char *const *cells;         /* [rows][cols] texts ("" for none) */
    const double *values;             /* [rows][cols], shading from 0 to max */
    double max;
} svg_label_grid;

/* False after printing "moetop: <path>: <why>". */
bool svg_write_bars(const char *path, const svg_bars *c);
bool svg_write_heatmap(const char *path, const svg_heatmap *h);
bool svg_write_label_grid(const char *path, const svg_label_grid *g);

/* Before the run: whether path could take a chart (the output-file rules of
 * engine/outfile.h: opened, then abandoned, leaving nothing; a FIFO or a
 * socket is not opened, "-" always can). False after printing
 * "moetop: <path>: <what failed>: <why>" (a failed write: exit 1). */
bool svg_check_file(const char *path);
/* The same for a directory of charts: made if missing (its parent must
 * exist), then it must be a directory moetop may write in. */
bool svg_check_dir(const char *dir);

#endif
