#include "condition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mt_conds_init(mt_conditions *c, const mt_interventions *base) {
    memset(c, 0, sizeof *c);
    if (!mt_iv_init(&c->base, base->n_layer, base->n_expert) || !mt_iv_copy(&c->base, base)) {
        mt_iv_free(&c->base);
        return false;
    }
    mt_interventions none;
    if (!mt_iv_init(&none, base->n_layer, base->n_expert)) {
        mt_conds_free(c);
        return false;
    }
    mt_err err;
    bool ok = mt_conds_add(c, "baseline", &none, &err);
    mt_iv_free(&none);
    if (!ok) mt_conds_free(c);
    return ok;
}

void mt_conds_free(mt_conditions *c) {
    for (size_t i = 0; i < c->n; i++) mt_iv_free(&c->items[i].iv);
    free(c->items);
    mt_iv_free(&c->base);
    memset(c, 0, sizeof *c);
}

const mt_condition *mt_conds_find(const mt_conditions *c, const char *name) {
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].name, name) == 0) return &c->items[i];
    return NULL;
}

bool mt_conds_add(mt_conditions *c, const char *name, const mt_interventions *own, mt_err *err) {
    size_t len = strlen(name);
    if (len == 0 || len >= MT_COND_NAME_MAX) {
        mt_err_set(err, "'%.40s': a condition's name has 1 to %d bytes", name, MT_COND_NAME_MAX - 1);
        return false;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
            mt_err_set(err, "'%.40s': a condition's name has no control characters", name);
            return false;
        }
    if (mt_conds_find(c, name)) {
        if (c->n && strcmp(c->items[0].name, name) == 0 && strcmp(name, "baseline") == 0)
            mt_err_set(err, "'baseline' is the name of the run without --cond (the first condition): name this one otherwise");
        else mt_err_set(err, "'%s': two conditions have this name", name);
        return false;
    }
    mt_condition *grown = realloc(c->items, (c->n + 1) * sizeof *grown);
    if (!grown) {
        mt_err_set(err, "out of memory");
        return false;
    }
    c->items = grown;
    mt_condition *cond = &c->items[c->n];
    memset(cond, 0, sizeof *cond);
    snprintf(cond->name, sizeof cond->name, "%s", name);
    if (!mt_iv_init(&cond->iv, c->base.n_layer, c->base.n_expert) || !mt_iv_copy(&cond->iv, &c->base)) {
        mt_iv_free(&cond->iv);
        mt_err_set(err, "out of memory");
        return false;
    }
    /* the condition's own flags over the baseline's: lists unite, its k and force win */
    uint32_t E = own->n_expert;
    for (uint32_t l = 0; l < own->n_layer; l++) {
        if (own->force[l] >= 0) cond->iv.force[l] = own->force[l];
        if (own->k[l]) cond->iv.k[l] = own->k[l];
        for (uint32_t e = 0; e < E; e++) cond->iv.flags[(size_t)l * E + e] |= own->flags[(size_t)l * E + e];
    }
    c->n++;
    return true;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t'; }

/* Parses FLAGS ("--mask 1,2@3 --k=2 ...") into iv; false with the reason in err. */
static bool parse_flags(mt_interventions *iv, const char *flags, mt_err *err) {
    const char *p = flags;
    for (;;) {
        while (is_space(*p)) p++;
        if (!*p) return true;
        const char *start = p;
        while (*p && !is_space(*p)) p++;
        size_t n = (size_t)(p - start);
        char word[256], value[256];
        if (n >= sizeof word) {
            mt_err_set(err, "'%.40s...': too long", start);
            return false;
        }
        memcpy(word, start, n);
        word[n] = 0;
        if (strncmp(word, "--", 2) != 0) {
            mt_err_set(err, "'%s' is not a flag (--mask, --k, --force, --zero, --drop)", word);
            return false;
        }
        char *eq = strchr(word, '=');
        if (eq) {
            *eq = 0;
            snprintf(value, sizeof value, "%s", eq + 1);
        } else {
            while (is_space(*p)) p++;
            const char *vs = p;
            while (*p && !is_space(*p)) p++;
            size_t vn = (size_t)(p - vs);
            if (vn == 0 || vn >= sizeof value) {
                mt_err_set(err, "%s: %s", word, vn ? "value too long" : "missing value");
                return false;
            }
            memcpy(value, vs, vn);
            value[vn] = 0;
        }
        const char *kind = word + 2;
        if (strcmp(kind, "mask") != 0 && strcmp(kind, "k") != 0 && strcmp(kind, "force") != 0 && strcmp(kind, "zero") != 0 &&
            strcmp(kind, "drop") != 0) {
            mt_err_set(err, "%s: not an intervention flag (--mask, --k, --force, --zero, --drop)", word);
            return false;
        }
        if (!mt_iv_parse(iv, kind, value, err)) return false;
    }
}

bool mt_conds_add_spec(mt_conditions *c, const char *spec, mt_err *err) {
    const char *colon = strchr(spec, ':');
    mt_err why;
    bool ok = false;
    mt_interventions own;
    if (!mt_iv_init(&own, c->base.n_layer, c->base.n_expert)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    if (!colon) {
        mt_err_set(&why, "not NAME: FLAGS");
    } else {
        const char *a = spec, *b = colon;
        while (a < b && is_space(*a)) a++;
        while (b > a && is_space(b[-1])) b--;
        char name[MT_COND_NAME_MAX + 1];
        size_t n = (size_t)(b - a);
        if (n == 0) mt_err_set(&why, "the name before ':' is empty");
        else if (n >= MT_COND_NAME_MAX) mt_err_set(&why, "the name has more than %d bytes", MT_COND_NAME_MAX - 1);
        else {
            memcpy(name, a, n);
            name[n] = 0;
            ok = parse_flags(&own, colon + 1, &why) && mt_conds_add(c, name, &own, &why);
        }
    }
    if (!ok) mt_err_set(err, "--cond \"%.80s\": %s", spec, why.msg);
    mt_iv_free(&own);
    return ok;
}

bool mt_conds_add_each(mt_conditions *c, const char *spec, mt_err *err) {
    const char *at = strchr(spec, '@');
    size_t kind_len = at ? (size_t)(at - spec) : strlen(spec);
    char kind[16];
    static const char *const kinds[] = { "force", "mask", "zero", "drop" };
    bool known = false;
    for (size_t i = 0; i < 4; i++) known |= strlen(kinds[i]) == kind_len && strncmp(spec, kinds[i], kind_len) == 0;
    if (!known) {
        mt_err_set(err, "--each: '%.40s' is not force, mask, zero or drop (optionally @LAYER,..)", spec);
        return false;
    }
    memcpy(kind, spec, kind_len);
    kind[kind_len] = 0;
    for (uint32_t e = 0; e < c->base.n_expert; e++) {
        char value[512], name[MT_COND_NAME_MAX];
        snprintf(value, sizeof value, "%u%s", e, at ? at : "");
        if ((size_t)snprintf(name, sizeof name, "%s:%s", kind, value) >= sizeof name) {
            mt_err_set(err, "--each: '%.40s': the layer list is too long for a name", spec);
            return false;
        }
        mt_interventions own;
        if (!mt_iv_init(&own, c->base.n_layer, c->base.n_expert)) {
            mt_err_set(err, "out of memory");
            return false;
        }
        mt_err why;
        bool ok = mt_iv_parse(&own, kind, value, &why) && mt_conds_add(c, name, &own, &why);
        mt_iv_free(&own);
        if (!ok) {
            mt_err_set(err, "--each %s: %s", spec, why.msg);
            return false;
        }
    }
    return true;
}

bool mt_conds_add_k_sweep(mt_conditions *c, const char *list, mt_err *err) {
    const char *p = list;
    if (!*p) {
        mt_err_set(err, "--k-sweep: an empty list (give k values such as 1,2,4,8)");
        return false;
    }
    while (*p) {
        const char *start = p;
        while (*p && *p != ',') p++;
        char value[32], name[MT_COND_NAME_MAX];
        size_t n = (size_t)(p - start);
        if (n == 0 || n >= sizeof value || memchr(start, '@', n)) {
            mt_err_set(err, "--k-sweep: '%.40s' is not a list of k values in 1..%u", list, c->base.n_expert);
            return false;
        }
        memcpy(value, start, n);
        value[n] = 0;
        mt_interventions own;
        if (!mt_iv_init(&own, c->base.n_layer, c->base.n_expert)) {
            mt_err_set(err, "out of memory");
            return false;
        }
        mt_err why;
        bool ok = mt_iv_parse(&own, "k", value, &why);
        if (ok) snprintf(name, sizeof name, "k=%u", own.k[0]); /* "k=04" is k=4 */
        ok = ok && mt_conds_add(c, name, &own, &why);
        mt_iv_free(&own);
        if (!ok) {
            mt_err_set(err, "--k-sweep: %s", why.msg);
            return false;
        }
        if (*p == ',') {
            p++;
            if (!*p) {
                mt_err_set(err, "--k-sweep: '%.40s' ends with a comma", list);
                return false;
            }
        }
    }
    return true;
}
