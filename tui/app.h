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
#include "engine/rng.h"
#include "engine/session.h"
#include "engine/tokenizer.h"
#include "experiments/condition.h"
#include "grid.h"

enum { MT_VIEW_DASHBOARD, MT_VIEW_HEATMAP, MT_VIEW_TOKEN, MT_VIEW_SWEEP, MT_VIEW_EXPERTS, MT_VIEW_ABLATE, MT_VIEW_COMPARE, MT_VIEW_GENERATE,
       MT_VIEW_TEXT, MT_VIEW_HELP,
       MT_VIEW_COUNT };

/* What colours a heatmap cell: the top expert's id, its weight, the router's
 * normalised entropy, or how much the selection changed against the baseline. */
enum { MT_SHADE_EXPERT, MT_SHADE_WEIGHT, MT_SHADE_ENTROPY, MT_SHADE_CHANGE, MT_SHADE_COUNT };

#define MT_PROMPT_MAX 8192
#define MT_HISTORY 16
#define MT_GENERATE_TOKENS 48
#define MT_COMPARE_TOKENS 24  /* the compare view's side-by-side continuations */

/* A prompt of a prompt set (assets/prompts/<domain>.txt). */
typedef struct mt_prompt_entry {
    char *domain, *text;
} mt_prompt_entry;

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
    int shading;      /* MT_SHADE_* */
    uint32_t cur_tok, cur_layer, top_tok; /* cursor and the first token row shown */
    uint32_t cur_expert;                  /* the ablate view's column */
    mt_session *baseline;                 /* the prompt without interventions (compare view), or NULL */
    bool ascii;       /* ASCII glyphs only */
    bool quit;
    bool export_requested;                /* X: the front end writes the frame it shows */
    mt_progress_fn progress;              /* given to every session: the front end's progress bar and Esc */
    void *progress_user;
    bool cancel_requested;                /* the progress function stopped the work: not an error */
    bool baseline_cancelled;              /* do not compute the baseline again until something changes */
    struct mt_continuation {              /* the compare view's greedy continuations: [0] baseline, [1] intervened */
        char *text;
        char *prompt;                     /* the prompt it continues */
        mt_interventions iv;              /* the interventions it ran with */
        bool valid;
    } cont[2];
    char message[256]; /* what the last action did */
    char notes[1024];  /* what starting it said (lines ending in '\n': a Vulkan fallback, a setting
                        * ignored), shown whole on the help view; "" when nothing */
    char prompt[MT_PROMPT_MAX];           /* the text the session holds */
    bool editing;                         /* keys go to the prompt line */
    char edit[MT_PROMPT_MAX];
    size_t edit_at;                       /* the editing cursor, a byte offset */
    char *history[MT_HISTORY];            /* earlier prompts, newest first */
    int n_history, history_at;
    mt_prompt_entry *sets;                /* the prompt sets, in domain order */
    size_t n_sets, set_at;                /* set_at: the entry p or P showed last, when set_shown */
    bool set_shown;                       /* false until the first p or P: which then shows entry 0 */
    mt_session *gen;                      /* the completion (generate view), or NULL */
    uint32_t gen_start;                   /* where the completion begins in gen */
    int gen_pending;                      /* tokens still to generate */
    int generate_tokens;                  /* how many n asks for (the config's generate_tokens) */
    bool gen_done;                        /* stopped at an end-of-generation token */
    float temperature, top_p;             /* n's sampling (the config's): temperature 0 is greedy */
    uint64_t seed;
    mt_rng gen_rng;                       /* seeded as moetop generate seeds it: the same tokens for the same seed */
    float *gen_prob;                      /* sampling scratch [n_vocab] */
    uint32_t *gen_index;
    /* scrolling and panning (tui/scroll.h): the first item each view shows,
     * kept by the views so the window moves only as far as the cursor needs */
    uint32_t left_layer;                  /* heatmap and generate view: the first layer column */
    uint32_t token_top_layer;             /* token view: the first layer row */
    uint32_t sweep_top_layer;             /* sweep view */
    uint32_t compare_top_layer;           /* compare view */
    uint32_t experts_top;                 /* experts view: the first expert row (cur_expert is its cursor) */
    uint32_t ablate_top_layer, ablate_left_expert; /* ablate view */
    uint32_t spark_left;                  /* token view: the first expert of the sparkline */
    uint32_t help_top;                    /* help view: the first line */
    uint32_t gen_top;                     /* generate view: the first token row, once scrolled */
    bool gen_scrolled;                    /* false: the newest tokens stay in view */
    int page_rows;                        /* rows the last view drawn showed: what PageUp/PageDown move in help and generate */
    /* messages expire (mt_app_set_time): after MT_MESSAGE_KEYS keys or MT_MESSAGE_SECONDS */
    char message_seen[256];               /* the message as last stamped */
    unsigned message_keys;                /* keys since it appeared */
    double now, message_at;               /* the front end's clock (seconds) and when the message appeared */
    int shown_w, shown_h;                 /* the last frame's size: below the minimum, keys but q do nothing */
    int rows_above;                       /* rows a front end draws above the app's frame (the tour's caption): sizes named on screen count them */
    int edit_target;                      /* what the edit line holds: MT_EDIT_PROMPT or MT_EDIT_NAME */
    mt_conditions conds;                  /* K's kept conditions, [0] "baseline" (n 0 until the first K) */
    size_t cond_at;                       /* the compare view's selected kept condition */
    struct mt_cond_cache *cond_cache;     /* their comparison (experiments/compare.h), or NULL */
};

/* A message stays for this many further keys, or this many seconds of the
 * front end's clock, whichever comes first. */
#define MT_MESSAGE_KEYS 8
#define MT_MESSAGE_SECONDS 10.0
/* The front end's clock in seconds (any origin, never decreasing): a message
 * older than MT_MESSAGE_SECONDS goes. Headless, the script's clock. */
void mt_app_set_time(mt_app *app, double seconds);

enum { MT_EDIT_PROMPT, MT_EDIT_NAME };

/* The prompt is tokenized with special tokens parsed. False with err set. */
bool mt_app_init(mt_app *app, const char *model_name, const mt_model *m, const mt_tokenizer *tok, mt_backend *be,
                 const char *prompt, mt_err *err);
void mt_app_free(mt_app *app);

/* Applies one key; false with err set when a recomputation failed. */
bool mt_app_key(mt_app *app, int key, mt_err *err);
/* A left click on cell (x, y) of a w x h frame: selects the heatmap cell or
 * the ablate grid's cell under it; a click on the selected heatmap cell
 * opens the token view. Elsewhere it does nothing. */
void mt_app_click(mt_app *app, int w, int h, int x, int y);
/* Installs fn on every session the app holds and makes (NULL: none). When
 * fn stops work it sets app->cancel_requested first: the action then ends
 * with "cancelled" on the status line, not an error; layers an update left
 * stale show there too, and r recomputes them. */
void mt_app_set_progress(mt_app *app, mt_progress_fn fn, void *user);
/* Does one step of pending work (one generated token); returns whether more remains. */
bool mt_app_tick(mt_app *app, mt_err *err);
/* Replaces the prompt (special tokens parsed) and runs it. */
bool mt_app_set_prompt(mt_app *app, const char *text, mt_err *err);
/* Loads the prompt sets of a directory (one file per domain, blank-line separated). */
void mt_app_load_prompt_sets(mt_app *app, const char *dir);
/* The baseline session (computed on first use); NULL when out of memory. */
const mt_session *mt_app_baseline(mt_app *app);
/* The greedy continuation (MT_COMPARE_TOKENS tokens) of the prompt, without
 * interventions or with them, as UTF-8 text; computed on first use and kept
 * until the prompt or the interventions change. NULL when there is no prompt
 * or the work was cancelled. */
const char *mt_app_continuation(mt_app *app, bool intervened);
/* The cursor cell's top expert (the highest mixing weight there, ties to the
 * earlier entry), -1 when the route is empty. */
int mt_app_cursor_expert(const mt_app *app);
/* Runs the interventions in force from the first changed layer (a key's
 * action after changing app->iv). False with err set, or when cancelled. */
bool mt_app_recompute(mt_app *app, mt_err *err);
/* Paints the whole frame. */
void mt_app_draw(mt_app *app, mt_grid *g);
/* A bracketed paste (terminal) or a script's paste step: the whole text is
 * one edit of the prompt line (tui/prompt_line.c). */
bool mt_app_paste(mt_app *app, const char *text, mt_err *err);
/* Whether the last frame drawn was below MT_APP_MIN_W x MT_APP_MIN_H (keys
 * other than q then do nothing: their effect could not be seen). */
bool mt_app_too_small(const mt_app *app);
/* The below-minimum frame: the size needed and the size there is, whole
 * words wrapped over the rows, never cut; the longest of a few wordings that
 * fits (the shortest, "need 40x8", needs 4 columns and 2 rows, or 9 and 1). */
void mt_app_draw_too_small(mt_grid *g);
/* Frees what tui/app_keys.c adds to the app (the kept conditions). */
void mt_app_keys_free(mt_app *app);

/* The smallest frame the explorer draws into. */
#define MT_APP_MIN_W 40
#define MT_APP_MIN_H 8

#endif
