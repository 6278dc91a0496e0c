/* `moetop tour`: the story of a "math expert" as a captioned walk through
 * the explorer (tui/tour.h). In a terminal it plays itself and a teacher can
 * pause and step (cli/tour_play.c); headless it plays every scene on the
 * scene clock, records (--record) and writes each scene's frame (--frames). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "corpus.h"
#include "experiments/exp_args.h"
#include "experiments/problems_io.h"
#include "model_args.h"
#include "paths.h"
#include "screen.h"
#include "tour_play.h"

#define TOUR_PROMPT "47 + 38 = " /* a sum with a carry that the bundled model gets right (85): forcing then shows what breaks */
#define TOUR_DOMAIN "math"

/* Headless progress: a line on stderr as each stage ends, with the time
 * since the last one ended (unless -q). */
typedef struct stage_lines {
    bool quiet;
    struct timespec since; /* the last stage's end (at first, the start) */
} stage_lines;

static bool stage_line(void *user, const char *stage, uint64_t done, uint64_t total) {
    stage_lines *s = user;
    if (done < total) return true;
    if (!s->quiet) {
        const char *what = strcmp(stage, "routes") == 0 ? "prompts' routes counted" : strcmp(stage, "problems") == 0 ? "problems scored" : "scenes composed";
        fprintf(stderr, "tour: %llu %s in %.1f s\n", (unsigned long long)total, what, cli_seconds_since(&s->since));
    }
    clock_gettime(CLOCK_MONOTONIC, &s->since);
    return true;
}

/* Plays every scene from the tour's current one on the scene clock: each
 * scene's frame at its start time, the end's at the last scene's end. */
static int headless(mt_tour *t, mt_app *app, mt_grid *g, cli_outputs *out, cli_tour_frames *frames, bool quiet) {
    double clock_s = 0;
    mt_err err;
    mt_tour_event ev = MT_TOUR_APPLY;
    while (ev != MT_TOUR_STAY) {
        if (ev == MT_TOUR_APPLY) {
            struct timespec t0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (!mt_tour_apply(t, app, &err)) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            mt_tour_started(t, clock_s);
            mt_app_set_time(app, clock_s);
            mt_tour_draw(t, app, g);
            cli_tour_frames_keep(frames, t->at, g);
            if (!quiet)
                fprintf(stderr, "tour: scene %zu/%zu at %.0f s: %s (%.1f s)\n", t->at + 1, t->n, clock_s, t->scenes[t->at].title,
                        cli_seconds_since(&t0));
        } else mt_tour_draw(t, app, g); /* the end */
        cli_outputs_record(out, g, clock_s);
        if (t->ended) break;
        clock_s = t->started + t->seconds;
        ev = mt_tour_tick(t, clock_s);
    }
    return 0;
}

/* The checks that need no model: 0 or an exit code after one line. */
static int check_args(const cli_command *cmd, const cli_args *a, int *w, int *h, double *seconds, uint32_t *scene, const char **ext) {
    int rc = cli_screen_args(cmd, a, "no terminal: run it in one, or use --headless (with --record or --frames)", w, h);
    if (rc) return rc;
    const char *s = cli_get(a, "--seconds");
    char extra;
    if (s && (sscanf(s, "%lf%c", seconds, &extra) != 1 || !(*seconds >= 0.5 && *seconds <= 600)))
        return cli_usage_error(cmd, "--seconds: '%s' is not a number of seconds in 0.5..600", s);
    if (!cli_get_u32(a, "--scene", 1, MT_TOUR_SCENES, scene)) return CLI_EXIT_USAGE;
    *ext = cli_get(a, "--frames-format") ? cli_get(a, "--frames-format") : "txt";
    if (strcmp(*ext, "txt") != 0 && strcmp(*ext, "ansi") != 0 && strcmp(*ext, "svg") != 0)
        return cli_usage_error(cmd, "--frames-format: '%s' is not txt, ansi or svg", *ext);
    if (cli_has(a, "--frames-format") && !cli_has(a, "--frames")) return cli_usage_error(cmd, "--frames-format: give --frames DIR too");
    const char *dir = cli_get(a, "--frames");
    struct stat st;
    if (dir && stat(dir, &st) != 0) { /* a missing DIR is made when the frames are written (its parent must be writable now) */
        if (errno != ENOENT) return cli_error(CLI_EXIT_FAIL, "%s: cannot write: %s", dir, strerror(errno));
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", dir);
        size_t n = strlen(parent);
        while (n > 1 && parent[n - 1] == '/') parent[--n] = 0;
        char *slash = strrchr(parent, '/');
        if (!slash) snprintf(parent, sizeof parent, ".");
        else if (slash == parent) parent[1] = 0;
        else *slash = 0;
        if (access(parent, W_OK | X_OK) != 0) return cli_error(CLI_EXIT_FAIL, "%s: cannot write: %s", dir, strerror(errno));
        return 0;
    }
    if (dir && !S_ISDIR(st.st_mode)) return cli_error(CLI_EXIT_FAIL, "%s: cannot write: %s", dir, strerror(ENOTDIR));
    if (dir && access(dir, W_OK | X_OK) != 0) return cli_error(CLI_EXIT_FAIL, "%s: cannot write: %s", dir, strerror(errno));
    return 0;
}

/* The prompt sets: the math domain's prompts against the rest. */
static int load_prompts(const cli_args *a, const cli_model *cm, cli_corpus *c, bool **in_domain, mt_ids **ids) {
    const char *dir = cli_get(a, "--prompts");
    char shipped[4096];
    if (!dir && mt_default_prompts(shipped, sizeof shipped)) dir = shipped;
    if (!dir) return cli_error(CLI_EXIT_USAGE, "no prompt sets: give --prompts DIR (the bundled assets/prompts is not installed)");
    int rc = cli_corpus_load_dir(dir, cm, c);
    if (rc) return rc;
    int64_t math = -1;
    for (uint32_t d = 0; d < c->n_domains; d++)
        if (strcmp(c->domains[d], TOUR_DOMAIN) == 0) math = d;
    if (math < 0 || c->n_domains < 2)
        return cli_error(CLI_EXIT_USAGE, "%s: the tour needs a prompt set named " TOUR_DOMAIN " (" TOUR_DOMAIN ".txt) and at least one other", dir);
    *in_domain = calloc(c->n_items + 1, sizeof **in_domain);
    *ids = calloc(c->n_items + 1, sizeof **ids);
    if (!*in_domain || !*ids) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (size_t i = 0; i < c->n_items; i++) {
        (*in_domain)[i] = c->items[i].domain == (uint32_t)math;
        (*ids)[i] = c->items[i].ids;
    }
    return 0;
}

static int run_tour(const cli_command *cmd, cli_args *a) {
    int w, h;
    double seconds = MT_TOUR_SECONDS;
    uint32_t scene = 1, permutations = 1000;
    uint64_t seed;
    const char *ext = "txt";
    int rc = check_args(cmd, a, &w, &h, &seconds, &scene, &ext);
    if (rc) return rc;
    if (!cli_get_u32(a, "--permutations", 1, 10000000, &permutations) || !cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    bool headless_run = cli_has(a, "--headless"), quiet = cli_has(a, "--quiet");
    mt_config cfg;
    if ((rc = cli_screen_config(a, &cfg))) return rc;
    const char *problems_name = cli_get(a, "--problems") ? cli_get(a, "--problems") : "add-1";
    cli_problems ps;
    if ((rc = cli_problems_load(problems_name, &ps))) return rc;
    cli_model cm;
    if ((rc = cli_model_open_with(a, &cm, cfg.backend, cfg.device, cfg.threads))) {
        cli_problems_free(&ps);
        return rc;
    }
    cli_corpus corpus = { 0 };
    bool *in_domain = NULL;
    mt_ids *ids = NULL;
    mt_app app;
    bool app_made = false;
    mt_grid g = { 0 };
    mt_tour tour = { 0 };
    cli_outputs out = { 0 };
    cli_tour_frames frames = { cli_get(a, "--frames"), ext, NULL, 0 };
    mt_err err;
    if (cm.m->hp.k >= cm.m->hp.n_expert) {
        rc = cli_error(CLI_EXIT_USAGE, "%s: every token selects all %u experts (top-%u of %u): there is no routing to tour", cli_base_name(cm.path),
                       cm.m->hp.n_expert, cm.m->hp.k, cm.m->hp.n_expert);
        goto done;
    }
    mt_ids probe = { 0 };
    bool fits = mt_tok_encode(cm.tok, TOUR_PROMPT, strlen(TOUR_PROMPT), true, &probe) && probe.n && probe.n <= cm.m->hp.n_ctx;
    size_t n_probe = probe.n;
    mt_ids_free(&probe);
    if (!fits) {
        rc = cli_error(CLI_EXIT_USAGE, "%s: the tour's prompt \"" TOUR_PROMPT "\" is %zu tokens, more than the model's context of %u",
                       cli_base_name(cm.path), n_probe, cm.m->hp.n_ctx);
        goto done;
    }
    if ((rc = load_prompts(a, &cm, &corpus, &in_domain, &ids))) goto done;
    if (!mt_app_init(&app, cli_base_name(cm.path), cm.m, cm.tok, cm.be, "", &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    app_made = true;
    cli_screen_setup_app(&app, a, &cfg);
    if (!mt_grid_init(&g, w, h) || (frames.dir && !(frames.grids = calloc(MT_TOUR_SCENES, sizeof *frames.grids)))) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    frames.n = frames.grids ? MT_TOUR_SCENES : 0;
    if ((rc = cli_outputs_open(&out, a, &cfg, w, h))) goto done;
    mt_tour_inputs in = { TOUR_PROMPT, ids, in_domain, corpus.n_items, ps.items, ps.n, ps.name, permutations, seed, 16 };
    if (headless_run) {
        stage_lines lines = { .quiet = quiet };
        clock_gettime(CLOCK_MONOTONIC, &lines.since);
        if (!mt_tour_build(&tour, &app, &in, stage_line, &lines, &err)) {
            rc = cli_tour_build_error(&err, ps.name);
            goto done;
        }
        tour.seconds = seconds;
        if (!quiet)
            fprintf(stderr, "tour: %s at layer %u, expert %u (permutation p %.3g over %u layer-experts)\n",
                    tour.found.significant ? "a math expert" : "no math expert stands out; the largest gap", tour.found.layer,
                    tour.found.expert, tour.found.spec.p_max, tour.found.spec.n_cells);
        mt_tour_go(&tour, scene - 1, 0);
        rc = headless(&tour, &app, &g, &out, &frames, quiet);
    } else rc = cli_tour_play(&tour, &app, &in, &g, cfg.colors, &out, &frames, seconds, scene - 1);
    rc = cli_outputs_close(&out, rc);
done:
    rc = cli_tour_frames_write(&frames, rc);
    mt_tour_free(&tour);
    mt_grid_free(&g);
    if (app_made) mt_app_free(&app);
    free(in_domain);
    free(ids);
    cli_corpus_free(&corpus);
    cli_model_close(&cm);
    cli_problems_free(&ps);
    return rc;
}

static const char *const tour_definitions[] = {
    "rate          of a (layer, expert) over prompts: tokens whose selected experts (top-k) include the expert",
    "              at that layer / the prompts' tokens; uniform k/E (experiments/specialist.h)",
    "gap, points   rate over the math prompts - rate over every other prompt, in percentage points; the",
    "              candidate math expert is the largest gap over all layers and experts (ties: lower layer, then",
    "              lower expert id)",
    "permutation p (1 + #{shuffles whose largest gap >= the candidate's}) / (1 + N): N shuffles of the math",
    "              label among the prompts (the math set keeps its size), the largest gap over every (layer,",
    "              expert) each time: Westfall-Young max-T, so picking the largest is paid for; the +1s are",
    "              Phipson and Smyth (2010). p >= 0.05: the captions say no math expert stands out",
    "KL            KL(baseline || condition) of the next token after the prompt, nats, whole vocabulary",
    "accuracy      problems whose greedy answer is right / problems, with its Wilson 95% interval",
    "fixed, broken problems right only with the mask / only without it; exact McNemar p of fixed against",
    "              broken (two-sided); p >= 0.05: \"not distinguishable from no change at this size\"",
    "mixing weight softmax of the selected experts' router logits (engine/stats.h); H_full = H(softmax z) / ln E",
    "part at       the first generated token (from 0) where a greedy continuation differs from the baseline's;",
    "              - when the same; scene 3 counts characters of the continuations' text instead",
    "overlap       of the selected experts with the baseline's: |A n B| / max(|A|, |B|) in the compare view,",
    "              |A n B| / |A| (A the baseline's) beside kept conditions; mean over the prompt's tokens",
    NULL,
};

const cli_command cmd_tour = {
    .name = "tour",
    .usage = "moetop tour [-m MODEL.gguf] [--headless] [--size WxH] [--record FILE.cast] [--frames DIR] [--seconds S] [--ascii] "
             "[--config FILE] [--scene N] [--prompts DIR] [--problems FILE|NAME] [--permutations N] [--seed S] [--frames-format EXT] [-q]",
    .summary = "A captioned walk through the explorer: find the math expert, force it, compare, ablate and score, weights, k.",
    .details =
        "Scenes (each a caption naming the numbers found, over the explorer in the state it describes):\n"
        "  1 the dashboard on \"" TOUR_PROMPT "\": heatmap, router softmax, entropies, next token\n"
        "  2 the candidate math expert, from the prompt sets' routes: the (layer, expert) whose rate\n"
        "    among the math prompts' tokens most exceeds its rate among the others', with a permutation\n"
        "    p over every (layer, expert) (experts view at its layer). When shuffled labels give gaps as\n"
        "    large (p >= 0.05) the caption says no math expert stands out and the tour goes on with the\n"
        "    largest gap. A small p says math tokens are sent to the expert (even random weights route\n"
        "    tokens by their embeddings), not that it does math: scenes 3 to 5 test what it does\n"
        "  3 that expert forced at every layer, as F does (compare: baseline against forced)\n"
        "  4 the candidate and up to 3 runners-up (the next largest gaps, of other expert ids), each\n"
        "    forced at its own layer, as kept conditions side by side (compare)\n"
        "  5 the candidate masked at its layer (ablate view) and --problems scored with and without it:\n"
        "    accuracy with Wilson intervals, fixed, broken, exact McNemar p (moetop eval's numbers)\n"
        "  6 the router's weights for the prompt's last number token (token view)\n"
        "  7 k = 1, 2, 4, 8 at every layer as kept conditions (compare)\n"
        "  8 what to try next\n"
        "In a terminal the tour plays itself, each scene --seconds long: Space pauses and resumes,\n"
        "Right or n the next scene, Left or p the previous, q quits; while paused every other key is\n"
        "the explorer's (moetop explore --help; while it edits a line, e or K, every key is), and\n"
        "stepping puts the scene's state back. After the last scene, Space plays it again. Headless,\n"
        "every scene plays on the scene clock (scene i starts at (i - N) x S seconds from --scene N),\n"
        "with progress lines on stderr; --record writes an asciicast v2 file as moetop --headless\n"
        "--record does, ending at the last scene's end; --frames DIR each scene's last frame\n"
        "(scene-01.txt ...). The candidate's p and the scores are seeded (--seed): two runs give the\n"
        "same frames. A model whose layers select every expert (k = E) is refused.\n"
        "Recordings and frame files: an existing file is\n" CLI_OUTPUT_RULES,
    .definitions = tour_definitions,
    .definitions_title = "the numbers the captions name",
    .opts = {
        CLI_MODEL_OPTS,
        { "--headless", 0, NULL, "no terminal: play every scene on the scene clock" },
        { "--size", 0, "WxH", "the frame size headless (default 120x40; in a terminal, the terminal's)" },
        { "--record", 0, "FILE.cast", "record the tour as an asciicast v2 file" },
        { "--frames", 0, "DIR", "write each scene's last frame to DIR/scene-01.txt ..." },
        { "--frames-format", 0, "EXT", "the frames' format: txt (default), ansi (24-bit colour) or svg" },
        { "--seconds", 0, "S", "each scene's time, 0.5..600 (default 8)" },
        { "--scene", 0, "N", "start at scene N, 1..8 (default 1)" },
        { "--ascii", 0, NULL, "ASCII glyphs only" },
        { "--config", 0, "FILE", "the configuration file (default ~/.config/moetop/moetop.ini)" },
        { "--prompts", 0, "DIR", "the prompt sets: one file per domain, math.txt among them (default: the bundled)" },
        { "--problems", 0, "FILE|NAME", "the problem set scored with the candidate masked (default add-1)" },
        { "--permutations", 0, "N", "shuffles for the candidate's p (default 1000)" },
        { "--seed", 0, "S", "seed of the shuffles (default 0)" },
        { "--quiet", 'q', NULL, "no progress lines" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_tour,
};
