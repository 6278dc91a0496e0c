/* A taxonomy of experts: which kinds of input each expert takes.
 *
 * Every position gets a class from its own token and, with "previous", from
 * the token before it (rules in mt_token_class). Per layer and expert the
 * accumulator counts tokens by class as top expert (the highest weight, ties
 * to the earlier topk entry) and as any selected expert (weight > 0); the
 * counts add exactly, so shards of a corpus merge. From them (mt_taxonomy_layer):
 *   share(e, c)  top(e, c) / top(e): the share of e's top-expert tokens in class c
 *   base(c)      tokens of class c with a top expert / all such tokens
 *   lift(e, c)   share(e, c) / base(c): 1 = as often as the class's base rate
 *   chi2, p      chi-square test of independence of the 2 x C table (e's
 *                top counts per class against the other experts'), classes
 *                with no token left out; p_holm: Holm's step-down over the
 *                experts of the layer that were ever top (the others get 1)
 *   valid        the test runs only where its expected counts earn the
 *                chi-square approximation (Cochran): none below 1 and at most
 *                20% below 5 (cells of the rows and classes with a token);
 *                else no test (chi2, p, p_holm NaN) and the label
 *                "too-few-tokens"
 *   label        the class of highest lift (ties: the earlier class) among
 *                those with lift > 1 holding at least MT_TAXONOMY_MIN_SUPPORT
 *                of e's top tokens, where p_holm < alpha; "too-few-tokens"
 *                when the test is significant but no class has that support;
 *                "generalist" when not significant; "unused" for an expert
 *                no token selected, "never-top" for one selected but never top
 * Per class: the mean top weight and the mean router entropy H(softmax(z)) /
 * ln E, each with a normal 95% interval mean +- 1.96 sd / sqrt(n) (sample sd;
 * no interval below two tokens). */
#ifndef MT_TAXONOMY_H
#define MT_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MT_CLS_START,      /* position 0 (nothing before it) */
    MT_CLS_SPECIAL,    /* a special token (<|start|> ...) */
    MT_CLS_NUMBER,     /* ASCII digits, after at most one space */
    MT_CLS_KEYWORD,    /* a C or Python keyword, after at most one space */
    MT_CLS_WORD,       /* letters (ASCII letters or non-ASCII UTF-8) */
    MT_CLS_SPACE_WORD, /* one space, then letters */
    MT_CLS_OPERATOR,   /* only + - * / = < > % ^ & | ~ !, after at most one space */
    MT_CLS_PUNCT,      /* only other ASCII punctuation, after at most one space */
    MT_CLS_SPACE,      /* only spaces, tabs and line ends */
    MT_CLS_OTHER,      /* anything else (mixed) */
    MT_CLS_COUNT
};

extern const char *const mt_class_names[MT_CLS_COUNT];

/* The class of a token's bytes at a position, special telling a special
 * token; with previous = true the class describes what comes before position
 * pos: MT_CLS_START at position 0, else the class the rules give the bytes of
 * the token before (passed as bytes/len/special; its position is ignored). */
int mt_token_class(const char *bytes, size_t len, bool special, uint32_t pos);

typedef struct mt_taxonomy {
    uint32_t n_layer, n_expert;
    uint64_t *top;      /* [L][E][C] */
    uint64_t *any;      /* [L][E][C] */
    uint64_t *tokens;   /* [L][C]: tokens with a top expert */
    double *tw, *tw2;   /* [L][C]: sums of the top weight and its square */
    double *h, *h2;     /* [L][C]: sums of the router entropy and its square */
    uint64_t *seen;     /* [L][C]: every token of the class */
} mt_taxonomy;

bool mt_taxonomy_init(mt_taxonomy *t, uint32_t n_layer, uint32_t n_expert);
void mt_taxonomy_free(mt_taxonomy *t);
/* One token at one layer: its class, its routing, H(softmax(z)) / ln E. */
void mt_taxonomy_observe(mt_taxonomy *t, uint32_t layer, int cls, const uint32_t *experts, const float *weights, uint32_t n,
                         double entropy);

enum { MT_LABEL_GENERALIST = -1, MT_LABEL_UNUSED = -2, MT_LABEL_NEVER_TOP = -3, MT_LABEL_TOO_FEW = -4 };
enum { MT_TAXONOMY_MIN_SUPPORT = 5 }; /* top tokens a labelled class must hold */

typedef struct mt_taxonomy_expert {
    uint64_t top, any;
    double share[MT_CLS_COUNT], lift[MT_CLS_COUNT]; /* NaN where undefined (never top / class absent) */
    double chi2, p, p_holm; /* NaN where not tested */
    uint32_t dof;
    bool tested;         /* the expected counts met Cochran's rule and the test ran */
    double min_expected; /* the smallest expected count of the table (NaN: never top) */
    double small_expected; /* the share of expected counts below 5 */
    int label; /* a class, or MT_LABEL_* */
} mt_taxonomy_expert;

typedef struct mt_taxonomy_class {
    uint64_t tokens;
    double top_weight_mean, top_weight_lo, top_weight_hi;
    double entropy_mean, entropy_lo, entropy_hi; /* NaN where there is no token (intervals: fewer than two) */
} mt_taxonomy_class;

/* Layer l's analysis: experts [E], classes [C]. False when out of memory. */
bool mt_taxonomy_layer(const mt_taxonomy *t, uint32_t l, double alpha, mt_taxonomy_expert *experts, mt_taxonomy_class *classes);
/* The label's name: a class name, "generalist", "unused", "never-top" or
 * "too-few-tokens". */
const char *mt_label_name(int label);

#endif
