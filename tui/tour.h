/* The tour (`moetop tour`): the story of a "math expert" as a list of
 * scenes, each a caption (a title and a plain explanation naming the numbers
 * found) and a state of the explorer (prompt, view, cursor, interventions,
 * kept conditions), played on a clock. Pure of the terminal: keys and the
 * clock go in, the scene index and what to do come out, and mt_tour_draw
 * paints a caption bar above the explorer's frame.
 *
 * Scenes, in order (tui/tour_scenes.c): the dashboard on an arithmetic
 * prompt; the candidate math expert (experiments/specialist.h) in the
 * experts view at its layer; that expert forced at every layer against the
 * baseline (compare); the candidate and runners-up each forced at its own
 * layer as kept conditions side by side; the candidate masked at its layer
 * and a problem set scored (experiments/eval.h: accuracy with Wilson
 * intervals, fixed/broken, exact McNemar p); the router's weights for a
 * number token (token view); k = 1, 2, 4, 8 as kept conditions; an end card. */
#ifndef MT_TOUR_H
#define MT_TOUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "experiments/condition.h"
#include "experiments/eval.h"
#include "experiments/specialist.h"
#include "grid.h"

#define MT_TOUR_TITLE_MAX 80
#define MT_TOUR_TEXT_MAX 480
#define MT_TOUR_TEXT_ROWS 3      /* a caption's explanation: at most this many rows */
#define MT_TOUR_SECONDS 8.0      /* each scene's time on the clock, by default */
#define MT_TOUR_OTHERS 3         /* runners-up compared with the candidate */
#define MT_TOUR_SCENES 8         /* the scenes, the end card included */

typedef struct mt_tour_scene {
    char title[MT_TOUR_TITLE_MAX];
    char text[MT_TOUR_TEXT_MAX];  /* plain ASCII explanation, wrapped at spaces when drawn */
    char small[MT_TOUR_TEXT_MAX]; /* the dashboard scenes: what to say when the frame is too small for
                                     the dashboard and the explorer shows the heatmap; "" otherwise */
    int view;                     /* MT_VIEW_* */
    uint32_t tok, layer, expert;  /* the cursor: token row, layer, expert (experts, ablate views) */
    mt_interventions iv;          /* the interventions in force */
    mt_conditions conds;          /* kept conditions (n 0: none) */
    struct mt_cond_cache *cache;  /* their comparison, kept aside while another scene shows (tui/app_keys.h) */
} mt_tour_scene;

/* What the statistics and the experiments found, for the captions (and tests). */
typedef struct mt_tour_findings {
    mt_specialist spec;            /* top[0]: the candidate */
    bool significant;              /* spec.p_max < 0.05 */
    uint32_t layer, expert;        /* the candidate */
    uint32_t n_others;             /* runners-up with expert ids other than the candidate's and each other's */
    mt_specialist_cell others[MT_TOUR_OTHERS];
    char problems[64];             /* the problem set's name */
    size_t n_problems;
    mt_eval_summary base, ablated; /* accuracy without interventions / with the candidate masked at its layer */
    uint32_t number_tok;           /* the prompt's token shown in the token view: its last holding a digit */
} mt_tour_findings;

/* What the tour is built from. */
typedef struct mt_tour_inputs {
    const char *prompt;            /* the arithmetic prompt (raw text, special tokens parsed) */
    const mt_ids *prompts;         /* the prompt sets' prompts [n_prompts], each non-empty */
    const bool *in_domain;         /* [n_prompts]: the prompt is a math prompt */
    size_t n_prompts;
    const mt_problem *problems;    /* the problem set scored with and without the candidate */
    size_t n_problems;
    const char *problems_name;
    uint32_t permutations;         /* for the candidate's p (experiments/specialist.h) */
    uint64_t seed;
    uint32_t max_tokens;           /* greedy tokens per problem */
} mt_tour_inputs;

/* Long work: stage names what runs ("routes", "problems", "scenes"); done
 * of total; false cancels. */
typedef bool (*mt_tour_progress_fn)(void *user, const char *stage, uint64_t done, uint64_t total);

typedef struct mt_tour {
    char *prompt;
    mt_tour_scene *scenes;
    size_t n;
    mt_tour_findings found;
    /* the clock (seconds, any origin, never decreasing) */
    double seconds;               /* each scene's time */
    size_t at;                    /* the scene shown */
    size_t cache_scene;           /* the scene whose comparison the app holds (n: none) */
    double started;               /* when its time began (a resume moves it on by the pause) */
    double paused_at;
    bool paused, ended;           /* ended: the last scene's time ran out (or Right past it) */
    /* drawing */
    int caption_rows;             /* the rows the last frame's caption took */
    mt_grid body;                 /* the explorer's frame, drawn under the caption */
} mt_tour;

/* Computes the findings (the candidate from the prompt sets' routes, the
 * problem set scored baseline and masked) and composes the scenes, applying
 * each to app (whose prompt becomes in->prompt) to read the numbers its
 * caption names. The tour starts at scene 0, playing, at time 0. False with
 * err set (out of memory, the backend failed, no math or no other prompt,
 * cancelled: "cancelled"); t is then freed. */
bool mt_tour_build(mt_tour *t, mt_app *app, const mt_tour_inputs *in, mt_tour_progress_fn progress, void *user, mt_err *err);
void mt_tour_free(mt_tour *t);

/* The findings alone (tui/tour_findings.c): the candidate and the scores. */
bool mt_tour_find(mt_tour_findings *f, mt_app *app, const mt_tour_inputs *in, mt_tour_progress_fn progress, void *user, mt_err *err);
/* The scenes from the findings (tui/tour_scenes.c); app holds the prompt. */
bool mt_tour_compose(mt_tour *t, mt_app *app, mt_tour_progress_fn progress, void *user, mt_err *err);

/* What the front end does after a key or a tick. */
typedef enum {
    MT_TOUR_STAY,     /* nothing changed */
    MT_TOUR_APPLY,    /* another scene (or the same again): mt_tour_apply, then mt_tour_started */
    MT_TOUR_REDRAW,   /* only the caption changed (paused, resumed, ended) */
    MT_TOUR_EXPLORER, /* the key is the explorer's: mt_app_key */
    MT_TOUR_QUIT,
} mt_tour_event;

/* Keys: Space pauses and resumes (after the end: plays again from the
 * first scene); Right or n the next scene (past the last: the end); Left or
 * p the previous (at the first: the first again); q quits. While paused any
 * other key is the explorer's, and while the explorer edits a line (editing)
 * every key is. Stepping keeps a pause. now: the clock. */
mt_tour_event mt_tour_key(mt_tour *t, int key, bool editing, double now);
/* The clock: once the scene's time has run (not paused), the next scene;
 * after the last, the end. */
mt_tour_event mt_tour_tick(mt_tour *t, double now);
/* Seconds until mt_tour_tick changes something; negative when nothing will
 * (paused, ended). */
double mt_tour_time_left(const mt_tour *t, double now);
/* Moves to scene i (0-based, < n) at time now, playing. */
void mt_tour_go(mt_tour *t, size_t i, double now);
/* The scene's time starts now (after mt_tour_apply's work). */
void mt_tour_started(mt_tour *t, double now);

/* Puts the scene's state into the explorer: its prompt (when another), the
 * interventions (recomputed), the kept conditions (with the comparison this
 * scene computed before, when it did: the one the app holds goes back to its
 * scene), the view and cursor, the views' scrolling from their start, no
 * message. False with err set when the recomputation failed (or
 * app->cancel_requested when it was cancelled). */
bool mt_tour_apply(mt_tour *t, mt_app *app, mt_err *err);

/* Paints the frame: the caption bar on the top rows (views/caption.c), the
 * explorer in the rest. */
void mt_tour_draw(mt_tour *t, mt_app *app, mt_grid *g);
/* A click at (x, y) of the w x h frame last drawn: the explorer's, below the caption, while paused. */
void mt_tour_click(mt_tour *t, mt_app *app, int w, int h, int x, int y);

/* Whether the dashboard scene would show its panels in a w x h frame's body (else the heatmap: scene.small). */
bool mt_tour_dashboard_fits(const mt_app *app, int w, int body_h);

/* The caption (views/caption.c). Its rows for a w x h frame: the title row
 * and the explanation's rows (at most MT_TOUR_TEXT_ROWS, fewer when the frame
 * leaves the explorer less than its minimum). */
int mt_caption_rows(const mt_tour *t, const mt_app *app, int w, int h);
void mt_view_caption(const mt_tour *t, const mt_app *app, mt_grid *g, mt_rect area);
/* The explanation's text for a frame of this body height (small or text). */
const char *mt_caption_text(const mt_tour *t, const mt_app *app, int w, int body_h);
/* text wrapped at spaces into rows of at most width display cells; at most
 * max rows, the last ending in "..." after the last whole word that fits
 * when more would be needed (a word wider than width is cut, ending "...").
 * Returns the rows written (row strings of up to cap bytes each). */
int mt_caption_wrap(const char *text, int width, int max, char (*rows)[MT_TOUR_TEXT_MAX]);

#endif
