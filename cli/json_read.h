/* A small JSON reader: profiles and JSONL datasets read by moetop, and in the
 * tests the oracle's expected values and moetop's own --json output. Accepts
 * Python's NaN and Infinity. Nesting is limited to 200 levels. */
#ifndef MT_JSON_READ_H
#define MT_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } jv_kind;

typedef struct jv {
    jv_kind kind;
    bool b;
    double num;
    bool is_u64;      /* JV_NUM written as a non-negative integer that fits: exact in u64 */
    uint64_t u64;
    char *str;        /* JV_STR: NUL-terminated UTF-8 (len excludes the NUL) */
    size_t len;       /* JV_STR: bytes; JV_ARR, JV_OBJ: entries */
    struct jv *items; /* JV_ARR, JV_OBJ */
    char **keys;      /* JV_OBJ */
} jv;

/* NULL on a syntax error, with a message in err. */
jv *jv_parse(const char *text, size_t n, char *err, size_t err_cap);
/* The file's text parsed; NULL with err set ("cannot read (reason)", or the
 * syntax error); err never repeats the path, which the caller prints. */
jv *jv_parse_file(const char *path, char *err, size_t err_cap);
void jv_free(jv *v);

/* NULL when absent or of another kind. */
const jv *jv_get(const jv *obj, const char *key);
const jv *jv_at(const jv *arr, size_t i);
/* Convenience: a number member, or def. */
double jv_num(const jv *obj, const char *key, double def);
const char *jv_str(const jv *obj, const char *key);

#endif
