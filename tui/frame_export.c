#include "frame_export.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/outfile.h"
#include "engine/utf8.h"
#include "engine/locale_c.h"

/* What a terminal with default colours shows; SVG has no "default", so a dark theme. */
#define SVG_DEFAULT_FG 0xd8d8d8u
#define SVG_DEFAULT_BG 0x141414u
#define SVG_CELL_W 8.4
#define SVG_CELL_H 17.0

/* Appends text (mt_bytes_cstr would add a GGUF length prefix). */
static void put(mt_bytes *out, const char *s) { mt_bytes_put(out, s, strlen(s)); }

static void put_glyph(mt_bytes *out, uint32_t cp) {
    char buf[4];
    cp = mt_cell_glyph(cp); /* never a control sequence, a line break or a character XML refuses */
    mt_bytes_put(out, buf, mt_utf8_encode(cp, buf));
}

static void sgr_color(mt_bytes *out, int base, uint32_t rgb) {
    char buf[32];
    if (rgb == MT_COLOR_DEFAULT) return;
    snprintf(buf, sizeof buf, ";%d;2;%u;%u;%u", base, (rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255);
    put(out, buf);
}

void mt_grid_to_ansi(const mt_grid *g, bool crlf, mt_bytes *out) {
    for (int y = 0; y < g->h; y++) {
        const mt_cell *prev = NULL;
        for (int x = 0; x < g->w; x++) {
            const mt_cell *c = &g->cells[y * g->w + x];
            if (c->cp == 0) continue; /* the right half of a wide glyph */
            if (!prev || prev->fg != c->fg || prev->bg != c->bg || prev->attrs != c->attrs) {
                put(out, "\x1b[0");
                if (c->attrs & MT_ATTR_BOLD) put(out, ";1");
                if (c->attrs & MT_ATTR_DIM) put(out, ";2");
                if (c->attrs & MT_ATTR_UNDERLINE) put(out, ";4");
                if (c->attrs & MT_ATTR_REVERSE) put(out, ";7");
                sgr_color(out, 38, c->fg);
                sgr_color(out, 48, c->bg);
                put(out, "m");
            }
            put_glyph(out, c->cp);
            prev = c;
        }
        put(out, "\x1b[0m");
        put(out, crlf ? "\r\n" : "\n");
    }
}

static void svg_color(mt_bytes *out, uint32_t rgb) {
    char buf[16];
    snprintf(buf, sizeof buf, "#%06x", rgb & 0xffffffu);
    put(out, buf);
}

/* A cell's colours as drawn: defaults resolved, reverse applied. */
static void resolve(const mt_cell *c, uint32_t *fg, uint32_t *bg) {
    *fg = c->fg == MT_COLOR_DEFAULT ? SVG_DEFAULT_FG : c->fg;
    *bg = c->bg == MT_COLOR_DEFAULT ? SVG_DEFAULT_BG : c->bg;
    if (c->attrs & MT_ATTR_REVERSE) {
        uint32_t t = *fg;
        *fg = *bg;
        *bg = t;
    }
}

static void svg_escape(mt_bytes *out, uint32_t cp) {
    if (cp == '&') put(out, "&amp;");
    else if (cp == '<') put(out, "&lt;");
    else if (cp == '>') put(out, "&gt;");
    else put_glyph(out, cp);
}

void mt_grid_to_svg(const mt_grid *g, mt_bytes *out) {
    char buf[256];
    mt_c_snprintf(buf, sizeof buf,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.1f\" height=\"%.1f\" viewBox=\"0 0 %.1f %.1f\" "
             "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n",
             g->w * SVG_CELL_W, g->h * SVG_CELL_H, g->w * SVG_CELL_W, g->h * SVG_CELL_H);
    put(out, buf);
    put(out, "<rect width=\"100%\" height=\"100%\" fill=\"");
    svg_color(out, SVG_DEFAULT_BG);
    put(out, "\"/>\n");
    /* backgrounds: one rect per run of equal colour */
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w;) {
            uint32_t fg, bg;
            resolve(&g->cells[y * g->w + x], &fg, &bg);
            int end = x + 1;
            for (; end < g->w; end++) {
                uint32_t f2, b2;
                resolve(&g->cells[y * g->w + end], &f2, &b2);
                if (b2 != bg) break;
            }
            if (bg != SVG_DEFAULT_BG) {
                mt_c_snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", x * SVG_CELL_W, y * SVG_CELL_H,
                         (end - x) * SVG_CELL_W, SVG_CELL_H);
                put(out, buf);
                svg_color(out, bg);
                put(out, "\"/>\n");
            }
            x = end;
        }
    /* glyphs: one <text> per run of equal style, each glyph placed at its cell */
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w;) {
            const mt_cell *c = &g->cells[y * g->w + x];
            if (c->cp == 0 || c->cp == ' ') {
                x++;
                continue;
            }
            uint32_t fg, bg;
            resolve(c, &fg, &bg);
            int end = x;
            for (; end < g->w; end++) {
                const mt_cell *d = &g->cells[y * g->w + end];
                uint32_t f2, b2;
                resolve(d, &f2, &b2);
                if (d->cp == ' ' || (d->cp != 0 && (f2 != fg || d->attrs != c->attrs))) break;
            }
            put(out, "<text xml:space=\"preserve\" fill=\"");
            svg_color(out, fg);
            mt_c_snprintf(buf, sizeof buf, "\" y=\"%.1f\"", y * SVG_CELL_H + 13.0);
            put(out, buf);
            if (c->attrs & MT_ATTR_BOLD) put(out, " font-weight=\"bold\"");
            if (c->attrs & MT_ATTR_DIM) put(out, " fill-opacity=\"0.6\"");
            if (c->attrs & MT_ATTR_UNDERLINE) put(out, " text-decoration=\"underline\"");
            put(out, " x=\"");
            for (int i = x; i < end; i++)
                if (g->cells[y * g->w + i].cp) {
                    mt_c_snprintf(buf, sizeof buf, i == x ? "%.1f" : " %.1f", i * SVG_CELL_W);
                    put(out, buf);
                }
            put(out, "\">");
            for (int i = x; i < end; i++)
                if (g->cells[y * g->w + i].cp) svg_escape(out, g->cells[y * g->w + i].cp);
            put(out, "</text>\n");
            x = end;
        }
    put(out, "</svg>\n");
}

static const char *extension(const char *path) {
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot : "";
}

bool mt_frame_format_known(const char *path) {
    const char *ext = extension(path);
    return !strcmp(ext, ".txt") || !strcmp(ext, ".ansi") || !strcmp(ext, ".svg");
}

bool mt_frame_write(const char *path, const mt_grid *g, mt_err *err) {
    const char *ext = extension(path);
    mt_bytes data = { 0 };
    if (!strcmp(ext, ".txt")) mt_grid_to_text(g, &data);
    else if (!strcmp(ext, ".ansi")) mt_grid_to_ansi(g, false, &data);
    else if (!strcmp(ext, ".svg")) mt_grid_to_svg(g, &data);
    else {
        mt_err_set(err, "%s: a frame is written as .txt, .ansi or .svg", path);
        return false;
    }
    bool ok = false;
    if (data.oom) mt_err_set(err, "%s: out of memory", path);
    else ok = mt_outfile_write(path, data.data, data.len, err);
    mt_bytes_free(&data);
    return ok;
}

/* A JSON string of arbitrary bytes known to be UTF-8 (escapes, quotes, controls escaped). */
static void json_string(FILE *f, const uint8_t *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        if (b == '"' || b == '\\') fprintf(f, "\\%c", b);
        else if (b == '\n') fputs("\\n", f);
        else if (b == '\r') fputs("\\r", f);
        else if (b < 0x20 || b == 0x7f) fprintf(f, "\\u%04x", b);
        else fputc(b, f);
    }
    fputc('"', f);
}

bool mt_cast_open(mt_cast *c, const char *path, int w, int h, mt_err *err) {
    memset(c, 0, sizeof *c);
    if (!mt_outfile_open(&c->out, path, err)) return false;
    c->f = c->out.f;
    c->w = w;
    c->h = h;
    c->started = false;
    c->timestamp = (long long)time(NULL);
    return true;
}

/* The header, with the size of the first frame (or the size given at open when there is none). */
static void cast_header(mt_cast *c) {
    fprintf(c->f, "{\"version\": 2, \"width\": %d, \"height\": %d, \"timestamp\": %lld, \"title\": \"moetop\", "
                  "\"env\": {\"TERM\": \"xterm-256color\"}}\n", c->w, c->h, c->timestamp);
    c->started = true;
}

void mt_cast_frame(mt_cast *c, double t, const mt_grid *g) {
    if (!c->f) return;
    if (!c->started) { /* the header says the size of what is recorded: the first frame's */
        c->w = g->w;
        c->h = g->h;
        cast_header(c);
    } else if (g->w != c->w || g->h != c->h) { /* the terminal was resized: a resize event, then frames of the new size */
        mt_c_fprintf(c->f, "[%.3f, \"r\", \"%dx%d\"]\n", t, g->w, g->h);
        c->w = g->w;
        c->h = g->h;
    }
    mt_bytes data = { 0 };
    put(&data, "\x1b[?25l\x1b[H\x1b[2J");
    mt_grid_to_ansi(g, true, &data);
    if (data.len >= 2) data.len -= 2; /* no newline after the last line: it would scroll */
    if (data.oom) c->failed = true;
    else {
        mt_c_fprintf(c->f, "[%.3f, \"o\", ", t);
        json_string(c->f, data.data, data.len);
        fputs("]\n", c->f);
    }
    mt_bytes_free(&data);
}

bool mt_cast_close(mt_cast *c, mt_err *err) {
    if (!c->f) return true;
    if (!c->started) cast_header(c);
    c->f = NULL;
    if (c->failed) {
        mt_err_set(err, "%s: the recording could not be written completely (out of memory)", c->out.path);
        mt_outfile_abort(&c->out);
        return false;
    }
    return mt_outfile_commit(&c->out, err);
}

void mt_cast_abort(mt_cast *c) {
    c->f = NULL;
    mt_outfile_abort(&c->out);
}
