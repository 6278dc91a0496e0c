#include "svg.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "engine/bytes.h"
#include "engine/outfile.h"
#include "engine/locale_c.h"
#include "text.h"
#include "tui/palette.h"

/* Okabe-Ito: distinguishable by colour-blind readers */
static const char *const series_colours[] = { "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000" };

typedef struct out {
    mt_bytes b;
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = mt_c_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mt_bytes_put(&o->b, buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Text escaped for XML, on one line: controls (which XML 1.0 refuses) and line separators spelt out first (mt_one_line). */
static void put_text(out *o, const char *text) {
    char line[2048];
    const char *s = text ? mt_one_line(text, line, sizeof line) : NULL;
    for (; s && *s; s++) {
        if (*s == '<') put(o, "&lt;");
        else if (*s == '>') put(o, "&gt;");
        else if (*s == '&') put(o, "&amp;");
        else if (*s == '"') put(o, "&quot;");
        else mt_bytes_put(&o->b, s, 1);
    }
}

static void label(out *o, double x, double y, const char *anchor, int size, const char *extra, const char *text) {
    put(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s>", x, y, anchor, size, extra ? extra : "");
    put_text(o, text);
    put(o, "</text>\n");
}

static bool finish(out *o, const char *path) {
    put(o, "</svg>\n");
    mt_err err;
    bool ok = !o->b.oom && mt_outfile_write(path, o->b.data, o->b.len, &err);
    if (!ok) cli_error(CLI_EXIT_FAIL, "%s", o->b.oom ? "out of memory for the chart" : err.msg);
    mt_bytes_free(&o->b);
    return ok;
}

/* A round step for about n ticks up to top. */
static double tick_step(double top, int n) {
    double raw = top / n, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

bool svg_write_bars(const char *path, const svg_bars *c) {
    out o = { { 0 } };
    double W = 240 + 28.0 * (double)(c->n_groups * c->n_series) + 12.0 * (double)c->n_groups, H = 420;
    if (W < 600) W = 600;
    double left = 70, right = W - 210, top = 50, bottom = H - 60;
    double ymax = c->baseline_label ? c->baseline : 0;
    for (size_t i = 0; i < c->n_groups * c->n_series; i++) ymax = fmax(ymax, c->values[i]);
    if (!(ymax > 0)) ymax = 1;
    double step = tick_step(ymax, 5);
    ymax = ceil(ymax / step) * step;
    put(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n", W, H);
    put(&o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    label(&o, W / 2, 24, "middle", 16, " font-weight=\"bold\"", c->title);
    for (double v = 0; v <= ymax + step / 2; v += step) { /* y axis and grid */
        double y = bottom - (bottom - top) * v / ymax;
        char t[32];
        mt_c_snprintf(t, sizeof t, "%g", v);
        put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, y, right, y);
        label(&o, left - 6, y + 4, "end", 11, NULL, t);
    }
    put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", left, bottom, right, bottom);
    put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", left, top, left, bottom);
    double group_w = (right - left) / (double)c->n_groups, bar_w = group_w * 0.8 / (double)c->n_series;
    for (size_t g = 0; g < c->n_groups; g++) {
        double x0 = left + group_w * (double)g + group_w * 0.1;
        for (size_t s = 0; s < c->n_series; s++) {
            double v = c->values[s * c->n_groups + g], h = (bottom - top) * fmax(0, v) / ymax;
            if (isnan(v)) { /* no data (a layer with no tokens): no bar, never one of height 0 */
                put(&o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" fill=\"#888\" transform=\"rotate(-90 %.1f %.1f)\">no data"
                        "<title>%s %s: no tokens</title></text>\n", x0 + bar_w * ((double)s + 0.7), bottom - 4, x0 + bar_w * ((double)s + 0.7),
                    bottom - 4, c->series_names[s], c->group_labels[g]);
                continue;
            }
            put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %.4g</title></rect>\n",
                x0 + bar_w * (double)s, bottom - h, bar_w * 0.95, h, series_colours[s % 8], c->series_names[s], c->group_labels[g], v);
        }
        label(&o, x0 + group_w * 0.4, bottom + 16, "middle", 11, NULL, c->group_labels[g]);
    }
    if (c->baseline_label) {
        double y = bottom - (bottom - top) * c->baseline / ymax;
        put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n", left, y, right, y);
    }
    label(&o, (left + right) / 2, H - 18, "middle", 13, NULL, c->x_label);
    char rot[96];
    mt_c_snprintf(rot, sizeof rot, " transform=\"rotate(-90 18 %.1f)\"", (top + bottom) / 2);
    label(&o, 18, (top + bottom) / 2, "middle", 13, rot, c->y_label);
    for (size_t s = 0; s < c->n_series; s++) { /* legend */
        double y = top + 18.0 * (double)s;
        put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", right + 14, y, series_colours[s % 8]);
        label(&o, right + 32, y + 10, "start", 12, NULL, c->series_names[s]);
    }
    if (c->baseline_label) {
        double y = top + 18.0 * (double)c->n_series;
        put(&o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n", right + 14, y + 6, right + 26, y + 6);
        label(&o, right + 32, y + 10, "start", 12, NULL, c->baseline_label);
    }
    return finish(&o, path);
}

/* viridis: the explorer's (tui/palette.h: nine stops interpolated in OKLab) */
static void ramp(double t, int rgb[3]) {
    uint32_t c = mt_viridis(t);
    rgb[0] = (int)(c >> 16 & 255);
    rgb[1] = (int)(c >> 8 & 255);
    rgb[2] = (int)(c & 255);
}

bool svg_write_heatmap(const char *path, const svg_heatmap *h) {
    out o = { { 0 } };
    double cell = h->cols > 48 ? 10 : 18, left = 110, top = 50;
    double W = left + cell * (double)h->cols + 120, H = top + cell * (double)h->rows + 70;
    put(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n", W, H);
    put(&o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    label(&o, W / 2, 24, "middle", 16, " font-weight=\"bold\"", h->title);
    double max = h->max > 0 ? h->max : 1;
    for (size_t r = 0; r < h->rows; r++) {
        char name[64];
        if (h->row_labels) snprintf(name, sizeof name, "%s", h->row_labels[r]);
        else snprintf(name, sizeof name, "%zu", r);
        label(&o, left - 6, top + cell * ((double)r + 0.75), "end", 10, NULL, name);
        for (size_t c = 0; c < h->cols; c++) {
            int rgb[3];
            double v = h->values[r * h->cols + c];
            if (isnan(v)) { /* no data: grey, never a colour of the scale */
                put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ccc\"><title>%zu, %zu: no tokens</title></rect>\n",
                    left + cell * (double)c, top + cell * (double)r, cell, cell, r, c);
                continue;
            }
            ramp(v / max, rgb);
            put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\"><title>%zu, %zu: %.4g</title></rect>\n",
                left + cell * (double)c, top + cell * (double)r, cell, cell, rgb[0], rgb[1], rgb[2], r, c, v);
        }
    }
    for (size_t c = 0; c < h->cols; c++) {
        if (h->cols > 16 && c % 4) continue;
        char name[64];
        if (h->col_labels) snprintf(name, sizeof name, "%s", h->col_labels[c]);
        else snprintf(name, sizeof name, "%zu", c);
        label(&o, left + cell * ((double)c + 0.5), top + cell * (double)h->rows + 14, "middle", 10, NULL, name);
    }
    label(&o, left + cell * (double)h->cols / 2, H - 20, "middle", 13, NULL, h->x_label);
    char rot[96];
    mt_c_snprintf(rot, sizeof rot, " transform=\"rotate(-90 16 %.1f)\"", top + cell * (double)h->rows / 2);
    label(&o, 16, top + cell * (double)h->rows / 2, "middle", 13, rot, h->y_label);
    double lx = left + cell * (double)h->cols + 24; /* the colour scale */
    for (int i = 0; i < 50; i++) {
        int rgb[3];
        ramp(1.0 - i / 49.0, rgb);
        put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"3\" fill=\"rgb(%d,%d,%d)\"/>\n", lx, top + 3.0 * i, rgb[0], rgb[1], rgb[2]);
    }
    char t[32];
    mt_c_snprintf(t, sizeof t, "%.3g", max);
    label(&o, lx + 18, top + 8, "start", 10, NULL, t);
    label(&o, lx + 18, top + 150, "start", 10, NULL, "0");
    label(&o, lx, top + 168, "start", 10, NULL, h->scale_label);
    return finish(&o, path);
}

bool svg_write_label_grid(const char *path, const svg_label_grid *g) {
    out o = { { 0 } };
    size_t widest = 4; /* a cell's width follows its longest text */
    for (size_t i = 0; i < g->rows * g->cols; i++)
        if (strlen(g->cells[i]) > widest) widest = strlen(g->cells[i]);
    for (size_t c = 0; c < g->cols; c++)
        if (strlen(g->col_labels[c]) > widest) widest = strlen(g->col_labels[c]);
    double cw = 6.5 * (double)widest + 12, ch = 22, left = 80, top = 70;
    double W = left + cw * (double)g->cols + 20, H = top + ch * (double)g->rows + 60;
    if (W < 640) W = 640;
    put(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n", W, H);
    put(&o, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    label(&o, W / 2, 22, "middle", 15, " font-weight=\"bold\"", g->title);
    if (g->note) label(&o, W / 2, 40, "middle", 11, NULL, g->note);
    double max = g->max > 0 ? g->max : 1;
    for (size_t c = 0; c < g->cols; c++) label(&o, left + cw * ((double)c + 0.5), top - 8, "middle", 11, " font-weight=\"bold\"", g->col_labels[c]);
    for (size_t r = 0; r < g->rows; r++) {
        label(&o, left - 8, top + ch * ((double)r + 0.7), "end", 11, NULL, g->row_labels[r]);
        for (size_t c = 0; c < g->cols; c++) {
            double v = g->values[r * g->cols + c], t = v / max;
            int rgb[3] = { 255, 255, 255 };
            if (v > 0) { /* a light ramp, so the text stays readable */
                ramp(t, rgb);
                for (int k = 0; k < 3; k++) rgb[k] = (int)lround(255 - (255 - rgb[k]) * 0.45);
            }
            put(&o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\" stroke=\"#ccc\"/>\n",
                left + cw * (double)c, top + ch * (double)r, cw, ch, rgb[0], rgb[1], rgb[2]);
            if (g->cells[r * g->cols + c][0]) label(&o, left + cw * ((double)c + 0.5), top + ch * ((double)r + 0.7), "middle", 11, NULL, g->cells[r * g->cols + c]);
        }
    }
    label(&o, left + cw * (double)g->cols / 2, H - 18, "middle", 13, NULL, g->x_label);
    char rot[96];
    snprintf(rot, sizeof rot, " transform=\"rotate(-90 16 %.1f)\"", top + ch * (double)g->rows / 2);
    label(&o, 16, top + ch * (double)g->rows / 2, "middle", 13, rot, g->y_label);
    return finish(&o, path);
}

bool svg_check_file(const char *path) {
    struct stat st;
    if (strcmp(path, "-") == 0 || (stat(path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))) return true;
    mt_outfile o;
    mt_err err;
    if (!mt_outfile_open(&o, path, &err)) {
        cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        return false;
    }
    mt_outfile_abort(&o);
    return true;
}

bool svg_check_dir(const char *dir) {
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error(CLI_EXIT_FAIL, "--svg: %s: cannot make the directory: %s", dir, strerror(errno));
        return false;
    }
    if (stat(dir, &st) != 0) {
        cli_error(CLI_EXIT_FAIL, "--svg: %s: %s", dir, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        cli_error(CLI_EXIT_FAIL, "--svg: %s: cannot write the charts in it: %s", dir, strerror(ENOTDIR));
        return false;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        cli_error(CLI_EXIT_FAIL, "--svg: %s: cannot write the charts in it: %s", dir, strerror(errno));
        return false;
    }
    return true;
}
