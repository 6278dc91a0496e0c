#include "json_read.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/utf8.h"
#include "engine/locale_c.h"

typedef struct reader {
    const char *s;
    size_t n, pos;
    char *err;
    size_t err_cap;
    int depth;
} reader;

static bool bad(reader *r, const char *what) {
    if (r->err && !r->err[0]) snprintf(r->err, r->err_cap, "JSON: %s at byte %zu", what, r->pos);
    return false;
}

/* c is one of set's characters (strchr alone would also find a NUL byte: its terminator). */
static bool one_of(const char *set, char c) { return c && strchr(set, c); }

static void skip_ws(reader *r) {
    while (r->pos < r->n && one_of(" \t\r\n", r->s[r->pos])) r->pos++;
}

static bool literal(reader *r, const char *word) {
    size_t n = strlen(word);
    if (r->n - r->pos < n || memcmp(r->s + r->pos, word, n) != 0) return false;
    r->pos += n;
    return true;
}

static int hex4(reader *r) {
    if (r->n - r->pos < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos++];
        v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1000);
    }
    return v < 0 ? -1 : v;
}

static bool parse_string(reader *r, char **out, size_t *len) {
    r->pos++; /* opening quote */
    size_t cap = 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (r->pos >= r->n) { free(buf); return bad(r, "unterminated string"); }
        char c = r->s[r->pos++];
        char tmp[4];
        size_t add = 1;
        tmp[0] = c;
        if (c == '"') break;
        if (c == '\\') {
            if (r->pos >= r->n) { free(buf); return bad(r, "bad escape"); }
            char e = r->s[r->pos++];
            switch (e) {
            case 'n': tmp[0] = '\n'; break;
            case 't': tmp[0] = '\t'; break;
            case 'r': tmp[0] = '\r'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case '/': case '\\': case '"': tmp[0] = e; break;
            case 'u': {
                int cp = hex4(r);
                if (cp < 0) { free(buf); return bad(r, "bad \\u escape"); }
                if (cp >= 0xd800 && cp < 0xdc00 && r->n - r->pos >= 6 && r->s[r->pos] == '\\' && r->s[r->pos + 1] == 'u') {
                    r->pos += 2;
                    int lo = hex4(r);
                    if (lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    else cp = 0xfffd;
                } else if (cp >= 0xd800 && cp < 0xe000) {
                    cp = 0xfffd;
                }
                add = mt_utf8_encode((uint32_t)cp, tmp);
                break;
            }
            default: free(buf); return bad(r, "bad escape");
            }
        }
        if (n + add + 1 > cap) {
            cap = cap * 2 + add;
            char *p = realloc(buf, cap);
            if (!p) { free(buf); buf = NULL; break; }
            buf = p;
        }
        memcpy(buf + n, tmp, add);
        n += add;
    }
    if (!buf) return bad(r, "out of memory");
    buf[n] = 0;
    *out = buf;
    *len = n;
    return true;
}

static bool parse_value(reader *r, jv *v);

static bool parse_container(reader *r, jv *v, bool object) {
    char close = object ? '}' : ']';
    r->pos++;
    size_t cap = 0;
    if (++r->depth > 200) return bad(r, "nested too deep");
    skip_ws(r);
    if (r->pos < r->n && r->s[r->pos] == close) {
        r->pos++;
        r->depth--;
        return true;
    }
    for (;;) {
        if (v->len == cap) {
            cap = cap ? cap * 2 : 8;
            jv *items = realloc(v->items, cap * sizeof *items);
            if (!items) return bad(r, "out of memory");
            v->items = items;
            if (object) {
                char **keys = realloc(v->keys, cap * sizeof *keys);
                if (!keys) return bad(r, "out of memory");
                v->keys = keys;
            }
        }
        jv *item = &v->items[v->len];
        memset(item, 0, sizeof *item);
        if (object) {
            skip_ws(r);
            size_t klen;
            v->keys[v->len] = NULL;
            if (r->pos >= r->n || r->s[r->pos] != '"') return bad(r, "expected a key");
            if (!parse_string(r, &v->keys[v->len], &klen)) return false;
            skip_ws(r);
            if (r->pos >= r->n || r->s[r->pos] != ':') { v->len++; return bad(r, "expected ':'"); }
            r->pos++;
        }
        v->len++;
        if (!parse_value(r, item)) return false;
        skip_ws(r);
        if (r->pos < r->n && r->s[r->pos] == ',') { r->pos++; continue; }
        if (r->pos < r->n && r->s[r->pos] == close) { r->pos++; break; }
        return bad(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    r->depth--;
    return true;
}

static bool parse_value(reader *r, jv *v) {
    skip_ws(r);
    if (r->pos >= r->n) return bad(r, "unexpected end");
    char c = r->s[r->pos];
    if (c == '{') { v->kind = JV_OBJ; return parse_container(r, v, true); }
    if (c == '[') { v->kind = JV_ARR; return parse_container(r, v, false); }
    if (c == '"') { v->kind = JV_STR; return parse_string(r, &v->str, &v->len); }
    if (literal(r, "null")) { v->kind = JV_NULL; return true; }
    if (literal(r, "true")) { v->kind = JV_BOOL; v->b = true; return true; }
    if (literal(r, "false")) { v->kind = JV_BOOL; return true; }
    v->kind = JV_NUM;
    if (literal(r, "NaN")) { v->num = NAN; return true; }
    if (literal(r, "Infinity")) { v->num = INFINITY; return true; }
    if (literal(r, "-Infinity")) { v->num = -INFINITY; return true; }
    char buf[64];
    size_t k = 0;
    while (r->pos < r->n && k < sizeof buf - 1 && one_of("+-0123456789.eE", r->s[r->pos])) buf[k++] = r->s[r->pos++];
    buf[k] = 0;
    char *end;
    v->num = mt_c_strtod(buf, &end);
    if (k == 0 || *end) return bad(r, "bad value");
    if (strspn(buf, "0123456789") == k) { /* an integer: keep it exact beyond 2^53 */
        errno = 0;
        unsigned long long u = strtoull(buf, &end, 10);
        v->is_u64 = errno == 0 && !*end;
        v->u64 = u;
    }
    return true;
}

static void free_inner(jv *v) {
    for (size_t i = 0; (v->kind == JV_ARR || v->kind == JV_OBJ) && i < v->len; i++) {
        free_inner(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
}

void jv_free(jv *v) {
    if (!v) return;
    free_inner(v);
    free(v);
}

jv *jv_parse(const char *text, size_t n, char *err, size_t err_cap) {
    reader r = { .s = text, .n = n, .err = err, .err_cap = err_cap };
    if (err && err_cap) err[0] = 0;
    jv *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    bool ok = parse_value(&r, v);
    skip_ws(&r);
    if (ok && r.pos != r.n) ok = bad(&r, "trailing characters");
    if (!ok) {
        jv_free(v);
        return NULL;
    }
    return v;
}

jv *jv_parse_file(const char *path, char *err, size_t err_cap) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "cannot read (%s)", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *text = malloc(cap);
    while (text && (got = fread(text + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(text, cap *= 2);
            if (!bigger) free(text);
            text = bigger;
        }
    }
    int read_errno = ferror(f) ? errno : 0; /* a directory: EISDIR */
    fclose(f);
    if (!text || read_errno) {
        if (read_errno) snprintf(err, err_cap, "cannot read (%s)", strerror(read_errno));
        else snprintf(err, err_cap, "out of memory");
        free(text);
        return NULL;
    }
    jv *v = jv_parse(text, n, err, err_cap);
    free(text);
    return v;
}

const jv *jv_get(const jv *obj, const char *key) {
    if (!obj || obj->kind != JV_OBJ) return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    return NULL;
}

const jv *jv_at(const jv *arr, size_t i) {
    return arr && (arr->kind == JV_ARR || arr->kind == JV_OBJ) && i < arr->len ? &arr->items[i] : NULL;
}

double jv_num(const jv *obj, const char *key, double def) {
    const jv *v = jv_get(obj, key);
    return v && v->kind == JV_NUM ? v->num : def;
}

const char *jv_str(const jv *obj, const char *key) {
    const jv *v = jv_get(obj, key);
    return v && v->kind == JV_STR ? v->str : NULL;
}
