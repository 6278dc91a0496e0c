/* The README as a new user reads it: every `./moetop ...` line of its sh
 * blocks (Commands, Routing statistics) runs as written, in order, exit 0,
 * from a fresh directory holding what the README names (assets/, examples/,
 * ./moetop: the binary under test), so files the examples write land there.
 * Without -m the examples use the bundled model: nothing here hard-codes its
 * token ids (a retrain changes them; the README takes ids from `moetop
 * tokenize` where it needs them). And the key names of scripts: one table
 * (tui/script.h) that the README's "Key scripts" section and `moetop explore
 * --help` both list in full. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cli_util.h"
#include "support/harness.h"
#include "tui/script.h"

#define MAX_LINES 160

static char *readme;                    /* README.md, read once */
static char *lines[MAX_LINES];          /* the example lines, in order */
static int line_no[MAX_LINES], n_lines, current;
static char names[MAX_LINES][64];
static char run_dir[PATH_MAX], repo[PATH_MAX];

/* Every line of a ```sh block that runs ./moetop. */
static void collect_examples(void) {
    bool in_sh = false;
    int no = 0;
    for (char *p = readme; *p && n_lines < MAX_LINES;) {
        char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        no++;
        char *line = strndup(p, len);
        if (strncmp(line, "```", 3) == 0) in_sh = !in_sh && strncmp(line, "```sh", 5) == 0;
        if (in_sh && strstr(line, "./moetop")) {
            lines[n_lines] = line;
            line_no[n_lines++] = no;
        } else {
            free(line);
        }
        p = end ? end + 1 : p + len;
    }
}

/* A directory with assets/, examples/ and ./moetop, as the README's examples expect. */
static bool make_run_dir(void) {
    char bin[PATH_MAX], cmd[5 * PATH_MAX + 200];
    if (!getcwd(repo, sizeof repo) || !realpath(t_bin(), bin)) return false;
    snprintf(run_dir, sizeof run_dir, "%s/readme", t_tmpdir());
    if ((size_t)snprintf(cmd, sizeof cmd, "mkdir -p '%s' && ln -s '%s/assets' '%s/examples' '%s/' && ln -s '%s' '%s/moetop'", run_dir, repo,
                         repo, run_dir, bin, run_dir) >= sizeof cmd)
        return false;
    return system(cmd) == 0;
}

static void run_example(void) {
    const char *line = lines[current];
    if (!CHECKF(chdir(run_dir) == 0, "cannot enter %s", run_dir)) return;
    const char *argv[] = { "/bin/sh", "-c", line, NULL };
    proc_result r = proc_run(argv, NULL);
    CHECK(chdir(repo) == 0);
    if (r.status != 0 && strstr(line, "./moetop devices") && strstr(r.err, "Vulkan")) /* listing needs a Vulkan driver */
        t_skip("no Vulkan device here: %.200s", r.err);
    else CHECKF(r.status == 0, "README.md:%d: `%s`: exit %d: %.600s", line_no[current], line, r.status, r.err);
    proc_free(&r);
}

/* A word as the README writes names: in backticks. */
static bool has_name(const char *text, const char *name) {
    char quoted[80];
    snprintf(quoted, sizeof quoted, "`%s`", name);
    return strstr(text, quoted) != NULL;
}

#define NAME_ONLY(name, key) name,
static const char *const named_keys[] = { MT_SCRIPT_NAMED_KEYS(NAME_ONLY) };

static void key_names_documented_in_one_place(void) {
    const char *section = strstr(readme, "\n### Key scripts\n");
    if (!CHECKF(section != NULL, "README.md has no \"### Key scripts\" section")) return;
    const char *next = strstr(section + 1, "\n#");
    size_t len = next ? (size_t)(next - section) : strlen(section);
    char *text = strndup(section, len);
    proc_result help = run_moetop("explore", "--help", NULL);
    CHECKF(help.status == 0 && strstr(help.out, "\"Key scripts\""), "explore --help points to the README: %s", help.err);
    for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++) {
        CHECKF(has_name(text, named_keys[i]), "README's Key scripts lacks `%s`", named_keys[i]);
        CHECKF(strstr(help.out, named_keys[i]) != NULL, "explore --help lacks %s", named_keys[i]);
        CHECKF(mt_key_from_name(named_keys[i]) >= 0, "%s is in the table but not parsed", named_keys[i]);
    }
    static const char *const more[] = { "F1", "F12", "C-a", "C-z", "type TEXT", "wait MS", "click X Y", "frame FILE", "# ..." };
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        CHECKF(has_name(text, more[i]), "README's Key scripts lacks `%s`", more[i]);
        CHECKF(strstr(help.out, more[i]) != NULL, "explore --help lacks %s", more[i]);
    }
    CHECK(mt_key_from_name("F1") >= 0 && mt_key_from_name("F12") >= 0 && mt_key_from_name("C-a") >= 0 && mt_key_from_name("C-z") >= 0);
    CHECK(mt_key_from_name("F13") < 0 && mt_key_from_name("Ctrl-x") < 0 && mt_key_from_name("enter") < 0);
    /* the sample the section names is a valid script */
    unsigned long n;
    char *keys = t_read_file("examples/keys.txt", &n);
    mt_script s;
    mt_err err = { 0 };
    CHECKF(keys && mt_script_parse(keys, n, "examples/keys.txt", &s, &err) && s.n > 0, "examples/keys.txt: %s", err.msg);
    if (keys) mt_script_free(&s);
    free(keys);
    proc_free(&help);
    free(text);
}

static void no_readme(void) { t_skip("no README.md in the current directory (the tests run from the repository root)"); }

/* Both blocks give examples, and the examples name only files that ship. */
static void examples_found(void) {
    CHECKF(n_lines >= 20, "only %d ./moetop lines in README.md's sh blocks", n_lines);
    const char *commands = strstr(readme, "\n## Commands\n"), *stats = strstr(readme, "\n## Routing statistics\n");
    int in_commands = 0, in_stats = 0;
    for (int i = 0; i < n_lines; i++) {
        const char *at = strstr(readme, lines[i]);
        in_commands += commands && stats && at > commands && at < stats;
        in_stats += stats && at > stats;
        CHECKF(!strstr(lines[i], "model.gguf"), "README.md:%d: a placeholder model: %s", line_no[i], lines[i]);
    }
    CHECKF(in_commands >= 10 && in_stats >= 8, "%d examples under Commands, %d under Routing statistics", in_commands, in_stats);
}

int main(void) {
    t_begin("readme");
    unsigned long len;
    readme = t_read_file("README.md", &len);
    if (!readme) {
        t_run("examples_run_as_written", no_readme);
        return t_end();
    }
    collect_examples();
    RUN(examples_found);
    if (!make_run_dir()) {
        printf("FAIL readme/setup: cannot make the examples' directory under %s\n", t_tmpdir());
        return 1;
    }
    for (current = 0; current < n_lines; current++) {
        const char *cmd = strstr(lines[current], "./moetop") + 8;
        while (*cmd == ' ') cmd++;
        size_t w = strcspn(cmd, " ");
        snprintf(names[current], sizeof names[current], "line_%d_%.*s", line_no[current], (int)(w < 30 ? w : 30), cmd[0] == '-' ? "explorer" : cmd);
        t_run(names[current], run_example);
    }
    RUN(key_names_documented_in_one_place);
    for (int i = 0; i < n_lines; i++) free(lines[i]);
    free(readme);
    return t_end();
}
