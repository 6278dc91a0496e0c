/* Conditions: named sets of interventions that an experiment runs side by
 * side (shared/contracts/cli.md, Experiments). The command line, the explorer
 * (kept snapshots) and the tour all use this type.
 *
 * A list always starts with "baseline": the interventions given outside any
 * condition (often none). Every other condition is the baseline's
 * interventions plus its own, combined by the contract's rules (mask, drop
 * and zero lists unite, the last --k wins, --force overrides a layer). */
#ifndef MT_CONDITION_H
#define MT_CONDITION_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"
#include "engine/intervene.h"

#define MT_COND_NAME_MAX 96

typedef struct mt_condition {
    char name[MT_COND_NAME_MAX];
    mt_interventions iv;
} mt_condition;

typedef struct mt_conditions {
    mt_condition *items;
    size_t n;
    mt_interventions base; /* the baseline's interventions, added under every condition */
} mt_conditions;

/* Starts a list holding "baseline" with a copy of base. False when out of memory. */
bool mt_conds_init(mt_conditions *c, const mt_interventions *base);
void mt_conds_free(mt_conditions *c);

/* Adds a condition with explicit interventions (added to the baseline's).
 * Names are 1..95 bytes, without control characters, unique in the list;
 * false with "NAME: why" in err otherwise (or when out of memory). */
bool mt_conds_add(mt_conditions *c, const char *name, const mt_interventions *own, mt_err *err);

/* --cond "NAME: FLAGS": FLAGS in the intervention language (--mask E,..[@L,..],
 * --k N[@L,..], --force E[@L,..], --zero .., --drop ..; "--flag=value" too),
 * separated by spaces. Errors: `--cond "SPEC": why`. */
bool mt_conds_add_spec(mt_conditions *c, const char *spec, mt_err *err);

/* --each KIND[@L,..]: one condition per expert e = 0..E-1, named "KIND:e"
 * (with "@L,.." appended when given), applying --KIND e[@L,..]; KIND is force,
 * mask, zero or drop. */
bool mt_conds_add_each(mt_conditions *c, const char *spec, mt_err *err);

/* --k-sweep N,N,..: one condition per k, named "k=N", applying --k N at every
 * layer; each N in 1..E. */
bool mt_conds_add_k_sweep(mt_conditions *c, const char *list, mt_err *err);

/* The condition named name, or NULL. */
const mt_condition *mt_conds_find(const mt_conditions *c, const char *name);

#endif
