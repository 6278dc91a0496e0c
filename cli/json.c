#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/utf8.h"
#include "engine/locale_c.h"
#include "engine/outfile.h"

static void raw(mt_json *j, const char *s) { mt_bytes_put(&j->out, s, strlen(s)); }

/* Before any value or key: a comma if something precedes it at this level. */
static void value_prefix(mt_json *j) {
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth]) raw(j, ",");
    j->need_comma[j->depth] = true;
}

static void open_scope(mt_json *j, const char *brace) {
    value_prefix(j);
    raw(j, brace);
    if (j->depth + 1 < MT_JSON_MAX_DEPTH) j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_scope(mt_json *j, const char *brace) {
    raw(j, brace);
    if (j->depth > 0) j->depth--;
}

void mt_json_begin_object(mt_json *j) { open_scope(j, "{"); }
void mt_json_end_object(mt_json *j) { close_scope(j, "}"); }
void mt_json_begin_array(mt_json *j) { open_scope(j, "["); }
void mt_json_end_array(mt_json *j) { close_scope(j, "]"); }

static void put_string(mt_json *j, const char *s, size_t n) {
    const uint8_t *u = (const uint8_t *)s;
    raw(j, "\"");
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = mt_utf8_next(u + i, n - i, &cp);
        char buf[8];
        if (cp == MT_UTF8_INVALID) {
            raw(j, "\xef\xbf\xbd");
        } else if (cp == '"' || cp == '\\') {
            buf[0] = '\\';
            buf[1] = (char)cp;
            mt_bytes_put(&j->out, buf, 2);
        } else if (cp < 0x20) {
            const char *esc = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : NULL;
            if (esc) raw(j, esc);
            else {
                snprintf(buf, sizeof buf, "\\u%04x", cp);
                raw(j, buf);
            }
        } else {
            mt_bytes_put(&j->out, u + i, len);
        }
        i += len;
    }
    raw(j, "\"");
}

void mt_json_key_n(mt_json *j, const char *key, size_t n) {
    value_prefix(j);
    put_string(j, key, n);
    raw(j, ":");
    j->after_key = true;
}

void mt_json_key(mt_json *j, const char *key) { mt_json_key_n(j, key, strlen(key)); }

void mt_json_string_n(mt_json *j, const char *s, size_t n) {
    value_prefix(j);
    put_string(j, s, n);
}

void mt_json_string(mt_json *j, const char *s) { mt_json_string_n(j, s, strlen(s)); }

void mt_json_hex(mt_json *j, const void *bytes, size_t n) {
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = bytes;
    value_prefix(j);
    raw(j, "\"");
    for (size_t i = 0; i < n; i++) {
        char pair[2] = { digits[b[i] >> 4], digits[b[i] & 15] };
        mt_bytes_put(&j->out, pair, 2);
    }
    raw(j, "\"");
}

void mt_json_u64(mt_json *j, uint64_t v) {
    char buf[32];
    value_prefix(j);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    raw(j, buf);
}

void mt_json_i64(mt_json *j, int64_t v) {
    char buf[32];
    value_prefix(j);
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    raw(j, buf);
}

void mt_json_f32(mt_json *j, float v) {
    value_prefix(j);
    if (!isfinite(v)) {
        raw(j, "null");
        return;
    }
    char buf[40];
    for (int prec = 6; prec <= 9; prec++) {
        mt_c_snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (mt_c_strtof(buf, NULL) == v) break;
    }
    raw(j, buf);
}

void mt_json_f64(mt_json *j, double v) {
    value_prefix(j);
    if (!isfinite(v)) {
        raw(j, "null");
        return;
    }
    char buf[40];
    for (int prec = 6; prec <= 17; prec++) {
        mt_c_snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (mt_c_strtod(buf, NULL) == v) break;
    }
    raw(j, buf);
}

void mt_json_bool(mt_json *j, bool v) {
    value_prefix(j);
    raw(j, v ? "true" : "false");
}

void mt_json_null(mt_json *j) {
    value_prefix(j);
    raw(j, "null");
}

int mt_json_finish(mt_json *j) {
    raw(j, "\n");
    bool ok = !j->out.oom && fwrite(j->out.data, 1, j->out.len, stdout) == j->out.len && fflush(stdout) == 0;
    mt_json_free(j);
    if (ok) return 0;
    fprintf(stderr, "moetop: stdout: write failed\n");
    return 1;
}

int mt_json_finish_to(mt_json *j, const char *path) {
    if (!path || strcmp(path, "-") == 0) return mt_json_finish(j);
    raw(j, "\n");
    if (j->out.oom) {
        mt_json_free(j);
        fprintf(stderr, "moetop: out of memory\n");
        return 1;
    }
    mt_err err;
    bool ok = mt_outfile_write(path, j->out.data, j->out.len, &err);
    mt_json_free(j);
    if (ok) return 0;
    fprintf(stderr, "moetop: %s\n", err.msg);
    return 1;
}

void mt_json_kv_u64(mt_json *j, const char *key, uint64_t v) {
    mt_json_key(j, key);
    mt_json_u64(j, v);
}

void mt_json_kv_f64(mt_json *j, const char *key, double v) {
    mt_json_key(j, key);
    mt_json_f64(j, v);
}

void mt_json_kv_str(mt_json *j, const char *key, const char *s) {
    mt_json_key(j, key);
    mt_json_string(j, s);
}

void mt_json_free(mt_json *j) { mt_bytes_free(&j->out); }

bool mt_json_has_invalid_utf8(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += mt_utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (cp == MT_UTF8_INVALID) return true;
    }
    return false;
}
