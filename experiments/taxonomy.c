#include "taxonomy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"
#include "routing.h"
#include "significance.h"

const char *const mt_class_names[MT_CLS_COUNT] = { "start", "special", "number", "keyword", "word", "space-word",
                                                   "operator", "punctuation", "whitespace", "other" };

static const char *const keywords[] = {
    /* C */ "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
    "for", "goto", "if", "include", "define", "int", "long", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while",
    /* Python */ "and", "as", "assert", "async", "await", "class", "def", "del", "elif", "except", "False", "finally", "from",
    "global", "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass", "raise", "True", "try", "with", "yield",
    NULL,
};

static bool all_of(const char *s, size_t n, int (*pred)(unsigned char)) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!pred((unsigned char)s[i])) return false;
    return true;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
static int is_operator(unsigned char c) { return c && strchr("+-*/=<>%^&|~!", c) != NULL; }
static int is_punct(unsigned char c) { return c > 32 && c < 127 && !is_digit(c) && !is_letter(c) && !is_operator(c); }
static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int content_class(const char *b, size_t n, bool special) {
    if (special) return MT_CLS_SPECIAL;
    if (all_of(b, n, is_space)) return MT_CLS_SPACE;
    bool spaced = n > 1 && b[0] == ' ';
    const char *s = spaced ? b + 1 : b;
    size_t m = spaced ? n - 1 : n;
    if (all_of(s, m, is_digit)) return MT_CLS_NUMBER;
    for (int i = 0; keywords[i]; i++)
        if (strlen(keywords[i]) == m && memcmp(keywords[i], s, m) == 0) return MT_CLS_KEYWORD;
    if (all_of(s, m, is_letter)) return spaced ? MT_CLS_SPACE_WORD : MT_CLS_WORD;
    if (all_of(s, m, is_operator)) return MT_CLS_OPERATOR;
    if (all_of(s, m, is_punct)) return MT_CLS_PUNCT;
    return MT_CLS_OTHER;
}

int mt_token_class(const char *bytes, size_t len, bool special, uint32_t pos) {
    return pos == 0 ? MT_CLS_START : content_class(bytes, len, special);
}

bool mt_taxonomy_init(mt_taxonomy *t, uint32_t L, uint32_t E) {
    memset(t, 0, sizeof *t);
    t->n_layer = L, t->n_expert = E;
    size_t lec = (size_t)L * E * MT_CLS_COUNT, lc = (size_t)L * MT_CLS_COUNT;
    t->top = calloc(lec, sizeof *t->top);
    t->any = calloc(lec, sizeof *t->any);
    t->tokens = calloc(lc, sizeof *t->tokens);
    t->seen = calloc(lc, sizeof *t->seen);
    t->tw = calloc(lc, sizeof *t->tw);
    t->tw2 = calloc(lc, sizeof *t->tw2);
    t->h = calloc(lc, sizeof *t->h);
    t->h2 = calloc(lc, sizeof *t->h2);
    if (t->top && t->any && t->tokens && t->seen && t->tw && t->tw2 && t->h && t->h2) return true;
    mt_taxonomy_free(t);
    return false;
}

void mt_taxonomy_free(mt_taxonomy *t) {
    free(t->top);
    free(t->any);
    free(t->tokens);
    free(t->seen);
    free(t->tw);
    free(t->tw2);
    free(t->h);
    free(t->h2);
    memset(t, 0, sizeof *t);
}

void mt_taxonomy_observe(mt_taxonomy *t, uint32_t l, int c, const uint32_t *experts, const float *weights, uint32_t n, double entropy) {
    size_t E = t->n_expert, lc = (size_t)l * MT_CLS_COUNT + (size_t)c;
    int32_t top = mt_route_top(experts, weights, n);
    float tw = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (weights[i] > 0) t->any[((size_t)l * E + experts[i]) * MT_CLS_COUNT + (size_t)c]++;
        if (weights[i] > tw) tw = weights[i];
    }
    t->seen[lc]++;
    t->h[lc] += entropy, t->h2[lc] += entropy * entropy;
    t->tw[lc] += tw, t->tw2[lc] += (double)tw * tw;
    if (top >= 0) t->top[((size_t)l * E + (size_t)top) * MT_CLS_COUNT + (size_t)c]++, t->tokens[lc]++;
}

static void interval(double sum, double sum2, uint64_t n, double *mean, double *lo, double *hi) {
    *mean = *lo = *hi = NAN;
    if (n == 0) return;
    *mean = sum / (double)n;
    if (n < 2) return;
    double var = (sum2 - sum * sum / (double)n) / (double)(n - 1);
    double half = MT_Z95 * sqrt(var > 0 ? var : 0) / sqrt((double)n);
    *lo = *mean - half, *hi = *mean + half;
}

bool mt_taxonomy_layer(const mt_taxonomy *t, uint32_t l, double alpha, mt_taxonomy_expert *ex, mt_taxonomy_class *cls) {
    size_t E = t->n_expert, C = MT_CLS_COUNT;
    const uint64_t *top = t->top + (size_t)l * E * C, *any = t->any + (size_t)l * E * C, *tok = t->tokens + (size_t)l * C;
    double *p = calloc(E ? E : 1, sizeof *p);
    if (!p) return false;
    uint64_t total = 0;
    for (size_t c = 0; c < C; c++) total += tok[c];
    for (size_t c = 0; c < C; c++) {
        size_t lc = (size_t)l * C + c;
        cls[c].tokens = t->seen[lc];
        interval(t->tw[lc], t->tw2[lc], t->seen[lc], &cls[c].top_weight_mean, &cls[c].top_weight_lo, &cls[c].top_weight_hi);
        interval(t->h[lc], t->h2[lc], t->seen[lc], &cls[c].entropy_mean, &cls[c].entropy_lo, &cls[c].entropy_hi);
    }
    for (size_t e = 0; e < E; e++) {
        mt_taxonomy_expert *x = &ex[e];
        memset(x, 0, sizeof *x);
        uint64_t table[2 * MT_CLS_COUNT];
        for (size_t c = 0; c < C; c++) {
            x->top += top[e * C + c], x->any += any[e * C + c];
            table[c] = top[e * C + c];
            table[C + c] = tok[c] - top[e * C + c];
        }
        for (size_t c = 0; c < C; c++) {
            double base = total ? (double)tok[c] / (double)total : NAN;
            x->share[c] = x->top ? (double)top[e * C + c] / (double)x->top : NAN;
            x->lift[c] = x->top && tok[c] ? x->share[c] / base : NAN;
        }
        x->p = 1.0;
        x->min_expected = x->small_expected = NAN;
        if (x->top) {
            /* Cochran's rule over the cells of the rows and classes with a token */
            uint64_t rows[2] = { x->top, total - x->top };
            size_t cells = 0, small = 0;
            double lo = INFINITY;
            for (size_t r = 0; r < 2; r++)
                for (size_t c = 0; c < C && rows[r]; c++) {
                    if (!tok[c]) continue;
                    double want = (double)rows[r] * (double)tok[c] / (double)total;
                    cells++, small += want < 5;
                    if (want < lo) lo = want;
                }
            x->min_expected = cells ? lo : NAN;
            x->small_expected = cells ? (double)small / (double)cells : NAN;
            x->tested = cells && lo >= 1 && small * 5 <= cells;
            if (x->tested) mt_chi_square(table, 2, (uint32_t)C, &x->chi2, &x->dof, &x->p);
            else x->chi2 = x->p = NAN;
        }
        p[e] = x->p;
    }
    /* Holm over the experts that were ever top and tested */
    size_t m = 0;
    for (size_t e = 0; e < E; e++)
        if (ex[e].top && ex[e].tested) p[m++] = ex[e].p;
    mt_holm(p, m, p);
    for (size_t e = 0, i = 0; e < E; e++) {
        mt_taxonomy_expert *x = &ex[e];
        x->p_holm = !x->top ? 1.0 : x->tested ? p[i++] : NAN;
        if (!x->any) x->label = MT_LABEL_UNUSED;
        else if (!x->top) x->label = MT_LABEL_NEVER_TOP;
        else if (!x->tested) x->label = MT_LABEL_TOO_FEW;
        else if (x->p_holm < alpha) {
            int best = -1;
            for (size_t c = 0; c < C; c++)
                if (top[e * C + c] >= MT_TAXONOMY_MIN_SUPPORT && x->lift[c] > 1 && (best < 0 || x->lift[c] > x->lift[best])) best = (int)c;
            x->label = best >= 0 ? best : MT_LABEL_TOO_FEW;
        } else x->label = MT_LABEL_GENERALIST;
    }
    free(p);
    return true;
}

const char *mt_label_name(int label) {
    if (label >= 0 && label < MT_CLS_COUNT) return mt_class_names[label];
    return label == MT_LABEL_UNUSED ? "unused" : label == MT_LABEL_NEVER_TOP ? "never-top" : label == MT_LABEL_TOO_FEW ? "too-few-tokens" : "generalist";
}
