/* The explorer's state and its actions: a model, a prompt in a session, the
 * interventions, the cursor and the view. Pure of the terminal: a key goes
 * in, the state changes (recomputing from the first changed layer), and
 * mt_app_draw paints a grid. */
#ifndef MT_APP_H
#define MT_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/backend.h"
#include "engine/intervene.h"
#include "engine/session.h"
#include "engine/tokenizer.h"
#include "grid.h"

enum { MT_VIEW_HEATMAP, MT_VIEW_TOKEN, MT_VIEW_SWEEP, MT_VIEW_EXPERTS, MT_VIEW_ABLATE, MT_VIEW_COMPARE, MT_VIEW_HELP, MT_VIEW_COUNT };

/* One key binding: the help view is generated from this table. */
typedef struct mt_app mt_app;
typedef struct mt_action {
    int view;         /* the view the key works in, or -1 for every view */
    int key, alt_key;
    const char *keys; /* as shown in help */
    const char *help;
    bool (*run)(mt_app *app, mt_err *err);
} mt_action;

extern const mt_action mt_actions[];
extern const size_t mt_action_count;
extern const char *const mt_view_names[MT_VIEW_COUNT];

struct mt_app {
    const char *model_name;
    const mt_model *m;
    const mt_tokenizer *tok;
    mt_backend *be;
    mt_session *s;
    mt_interventions iv;
    int view;
    uint32_t cur_tok, cur_layer, top_tok; /* cursor and the first token row shown */
    uint32_t cur_expert;                  /* the ablate view's column */
    mt_session *baseline;                 /* the prompt without interventions (compare view), or NULL */
    bool ascii;       /* ASCII glyphs only */
    bool quit;
    char message[256]; /* what the last action did */
};

/* The prompt is tokenized with special tokens parsed. False with err set. */
bool mt_app_init(mt_app *app, const char *model_name, const mt_model *m, const mt_tokenizer *tok, mt_backend *be,
                 const char *prompt, mt_err *err);
void mt_app_free(mt_app *app);

/* Applies one key; false with err set when a recomputation failed. */
bool mt_app_key(mt_app *app, int key, mt_err *err);
/* The baseline session (computed on first use); NULL when out of memory. */
const mt_session *mt_app_baseline(mt_app *app);
/* Paints the whole frame. */
void mt_app_draw(mt_app *app, mt_grid *g);

/* The smallest frame the explorer draws into. */
#define MT_APP_MIN_W 40
#define MT_APP_MIN_H 8

#endif
