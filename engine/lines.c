#include "lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char bom[3] = { '\xef', '\xbb', '\xbf' };

void mt_lines_init(mt_lines *r, const char *data, size_t len) {
    *r = (mt_lines){ .data = data, .len = len };
}

bool mt_lines_next(mt_lines *r, mt_line *line) {
    if (!r->started) {
        /* a byte-order mark, or (streaming) the start of one that may complete */
        size_t n = r->len < 3 ? r->len : 3;
        bool prefix = n == 0 || memcmp(r->data, bom, n) == 0;
        if (prefix && n < 3 && r->more) return false;
        if (prefix && n == 3) r->pos = 3;
        r->started = true;
    }
    if (r->pos >= r->len) return false;
    const char *s = r->data + r->pos, *end = r->data + r->len, *p = s;
    while (p < end && *p != '\n' && *p != '\r') p++;
    size_t end_len;
    if (p == end) {
        if (r->more) return false; /* the line may go on */
        end_len = 0;
    } else if (*p == '\n') {
        end_len = 1;
    } else if (p + 1 < end) {
        end_len = p[1] == '\n' ? 2 : 1;
    } else {
        if (r->more) return false; /* a CR last: a LF may follow */
        end_len = 1;
    }
    line->text = s;
    line->len = (size_t)(p - s);
    line->end_len = end_len;
    line->number = ++r->number;
    line->nul = memchr(s, 0, line->len);
    r->pos += line->len + end_len;
    return true;
}

bool mt_line_is_blank(const char *text, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t') return false;
    return true;
}

bool mt_prompt_next(mt_lines *r, mt_bytes *buf, mt_prompt_span *span) {
    buf->len = 0;
    *span = (mt_prompt_span){ 0 };
    mt_line l;
    while (mt_lines_next(r, &l)) {
        if (mt_line_is_blank(l.text, l.len)) {
            if (span->first_line) return true; /* the blank line ends the prompt */
            continue;
        }
        if (span->first_line) mt_bytes_put(buf, "\n", 1);
        else span->first_line = l.number;
        mt_bytes_put(buf, l.text, l.len);
        if (l.nul && !span->nul_line) span->nul_line = l.number;
    }
    return span->first_line != 0;
}

void mt_line_reader_mem(mt_line_reader *r, const char *data, size_t len, const char *name) {
    *r = (mt_line_reader){ .name = name, .max_len = SIZE_MAX, .eof = true };
    mt_lines_init(&r->it, data, len);
}

bool mt_line_reader_open(mt_line_reader *r, const char *path, size_t max_len, mt_err *err) {
    *r = (mt_line_reader){ .name = path, .max_len = max_len };
    mt_lines_init(&r->it, NULL, 0);
    r->it.more = true;
    if (!(r->f = fopen(path, "rb"))) {
        mt_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    return true;
}

static int too_long(const mt_line_reader *r, uint64_t number, mt_err *err) {
    mt_err_set(err, "%s:%llu: the line is longer than %zu bytes", r->name, (unsigned long long)number, r->max_len);
    return -1;
}

int mt_line_reader_next(mt_line_reader *r, mt_line *line, mt_err *err) {
    for (;;) {
        if (mt_lines_next(&r->it, line)) return line->len > r->max_len ? too_long(r, line->number, err) : 1;
        if (!r->f || r->eof) return 0;
        /* the bytes not given yet (a line not ended, a CR, a BOM's start) move to the front */
        size_t rest = r->it.len - r->it.pos;
        if (rest) memmove(r->buf, r->buf + r->it.pos, rest);
        if (rest > 3 && rest - 3 > r->max_len) return too_long(r, r->it.number + 1, err);
        if (rest == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 1 << 16;
            char *grown = cap > r->cap ? realloc(r->buf, cap) : NULL;
            if (!grown) {
                mt_err_set(err, "%s: out of memory", r->name);
                return -1;
            }
            r->buf = grown;
            r->cap = cap;
        }
        size_t got = fread(r->buf + rest, 1, r->cap - rest, r->f);
        if (got == 0 && ferror(r->f)) {
            mt_err_set(err, "%s: read failed: %s", r->name, strerror(errno));
            return -1;
        }
        r->eof = got == 0;
        r->it.data = r->buf;
        r->it.len = rest + got;
        r->it.pos = 0;
        r->it.more = !r->eof;
    }
}

void mt_line_reader_close(mt_line_reader *r) {
    if (r->f) fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof *r);
}
