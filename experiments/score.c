#include "score.h"

#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool mt_answer_is_numeric(const char *a) {
    if (*a == '-') a++;
    if (!is_digit(*a)) return false;
    while (is_digit(*a)) a++;
    return *a == 0;
}

/* Digits of an integer without sign and leading zeros ("" for zero). */
static void strip(const char **digits, size_t *n) {
    while (*n > 0 && **digits == '0') (*digits)++, (*n)--;
}

static bool numeric_match(const char *answer, const char *text, size_t len) {
    bool want_neg = answer[0] == '-';
    const char *want = answer + want_neg;
    size_t want_n = strlen(want);
    strip(&want, &want_n);
    if (want_n == 0) want_neg = false; /* -0 is 0 */
    /* the first run of digits (with its sign) once thousands separators are gone */
    size_t i = 0;
    while (i < len && !is_digit(text[i])) i++;
    if (i == len) return false;
    bool neg = i > 0 && text[i - 1] == '-';
    char digits[4096];
    size_t n = 0;
    while (i < len && n < sizeof digits) {
        if (is_digit(text[i])) {
            digits[n++] = text[i++];
        } else if (text[i] == ',' && i + 3 < len && is_digit(text[i + 1]) && is_digit(text[i + 2]) && is_digit(text[i + 3]) &&
                   (i + 4 >= len || !is_digit(text[i + 4]))) {
            i++; /* a thousands separator */
        } else {
            break;
        }
    }
    if (n == sizeof digits) return false; /* absurdly long: never equal to an answer we hold */
    const char *got = digits;
    strip(&got, &n);
    if (n == 0) neg = false;
    return neg == want_neg && n == want_n && memcmp(got, want, n) == 0;
}

bool mt_score(const char *answer, const char *text, size_t len) {
    if (mt_answer_is_numeric(answer)) return numeric_match(answer, text, len);
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == '\v' || text[i] == '\f')) i++;
    size_t an = strlen(answer);
    return len - i >= an && memcmp(text + i, answer, an) == 0;
}

static const char *find(const char *hay, size_t len, const char *needle, size_t from) {
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0) return hay + i;
    return NULL;
}

void mt_harmony_final(const char *text, size_t len, size_t *start, size_t *n) {
    static const char *const ends[] = { "<|end|>", "<|return|>", "<|call|>", "<|start|>" };
    const char *chan = "<|channel|>", *final = "<|channel|>final", *msg = "<|message|>";
    size_t from = 0;
    if (find(text, len, chan, 0)) {
        const char *last = NULL;
        for (const char *f = find(text, len, final, 0); f; f = find(text, len, final, (size_t)(f - text) + 1)) last = f;
        if (!last) {
            *start = len;
            *n = 0;
            return;
        }
        const char *m = find(text, len, msg, (size_t)(last - text));
        from = m ? (size_t)(m - text) + strlen(msg) : len;
    } else {
        const char *m = find(text, len, msg, 0);
        if (m && (size_t)(m - text) == 0) from = strlen(msg);
    }
    size_t end = len;
    for (size_t k = 0; k < sizeof ends / sizeof *ends; k++) {
        const char *e = find(text, len, ends[k], from);
        if (e && (size_t)(e - text) < end) end = (size_t)(e - text);
    }
    *start = from;
    *n = end - from;
}
