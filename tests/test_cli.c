/* The command line: help, version, usage errors, `info` on valid and
 * malformed files (each malformed one: exit 2, one line on stderr naming the
 * file and the problem, nothing on stdout). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/bytes.h"
#include "support/cli_util.h"
#include "support/harness.h"
#include "support/malformed.h"
#include "support/proc.h"

static void help_and_version(void) {
    proc_result r = run_moetop("--help", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "usage: moetop [explorer options]") && strstr(r.out, "moetop COMMAND [options]") && strstr(r.out, "info") &&
               strstr(r.out, "synth"),
           "--help: %d %s", r.status, r.out);
    proc_free(&r);
    r = run_moetop("--version", NULL);
    CHECKF(r.status == 0 && strncmp(r.out, "moetop ", 7) == 0 && proc_count_lines(r.out) == 1, "--version: %s", r.out);
    proc_free(&r);
    static const char *const cmds[] = { "info", "synth" };
    for (size_t i = 0; i < 2; i++) {
        r = run_moetop(cmds[i], "--help", NULL);
        CHECKF(r.status == 0 && strstr(r.out, "usage: moetop ") && strstr(r.out, "options:"), "%s --help: %d", cmds[i], r.status);
        proc_free(&r);
    }
    /* devices --help names the variable that overrides the kernel choice */
    r = run_moetop("devices", "--help", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "MOETOP_VK_KERNELS=row|group|subgroup overrides"), "devices --help: %s", r.out);
    proc_free(&r);
    /* --drop's line holds for every router: OLMoE keeps the others' weights (it said "re-softmaxed") */
    r = run_moetop("trace", "--help", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "weight 0 after top-k, the others renormalised (OLMoE: unchanged)"), "trace --help: %s", r.out);
    proc_free(&r);
}

static void usage_errors(void) {
    static const struct { const char *args[6]; const char *expect; } cases[] = {
        { { "info", "--frob", NULL }, "moetop: --frob: unknown flag (usage: moetop info" },
        { { "info", "-m", NULL }, "moetop: --model: missing value FILE (usage:" },
        { { "frobnicate", NULL }, "moetop: frobnicate: unknown command" },
        { { "info", "-m", "/nonexistent/x.gguf", NULL }, "moetop: /nonexistent/x.gguf: cannot open" },
        { { "info", "-m", "/tmp", NULL }, "moetop: /tmp: not a regular file" },
        { { "info", "-m", "", NULL }, "moetop: -m: an empty path" },
        { { "domains", "--prompts", "/nonexistent-dir", NULL }, "/nonexistent-dir: cannot open the prompt set directory: No such file" },
        { { "info", "--json=yes", "-m", NULL }, "--json: takes no value" },
        { { "synth", NULL }, "moetop: -o: an output file is required" },
        { { "synth", "-o", "/tmp/x.gguf", "--heads", }, "--heads: missing value" },
        /* a flag of one value given twice is refused, never silently the last (--mask and the other
         * repeatable flags use every value: test_cli_engine) */
        { { "info", "-m", "x.gguf", "-m", "y.gguf" }, "moetop: --model: given twice ('x.gguf', then 'y.gguf'); it takes one value" },
        { { "trace", "--prompt", "a", "--prompt=b" }, "--prompt: given twice ('a', then 'b')" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *const *a = cases[i].args;
        proc_result r = run_moetop(a[0], a[1], a[2], a[3], a[4], a[5], NULL);
        CHECKF(is_clean_usage_error(&r), "%s %s: exit %d, stderr '%s'", a[0], a[1] ? a[1] : "", r.status, r.err);
        CHECKF(strstr(r.err, cases[i].expect) != NULL, "%s: stderr '%s' lacks '%s'", a[0], r.err, cases[i].expect);
        proc_free(&r);
    }
    proc_result r = run_moetop(NULL);
    CHECKF(r.status == 2, "no command: exit %d", r.status);
    proc_free(&r);
}

static void malformed_files_exit_2(void) {
    malformed_case *cases;
    int n = malformed_corpus(&cases);
    for (int i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.gguf", t_tmpdir(), cases[i].name);
        t_write_file(path, cases[i].bytes.data, cases[i].bytes.len);
        for (int json = 0; json < 2; json++) {
            proc_result r = json ? run_moetop("info", "--json", "-m", path, NULL) : run_moetop("info", "-m", path, NULL);
            char prefix[600];
            snprintf(prefix, sizeof prefix, "moetop: %s: ", path);
            CHECKF(is_clean_usage_error(&r), "%s%s: exit %d, %d stderr lines, %zu stdout bytes: %s", cases[i].name,
                   json ? " --json" : "", r.status, proc_count_lines(r.err), r.out_len, r.err);
            CHECKF(strncmp(r.err, prefix, strlen(prefix)) == 0, "%s: does not name the file: %s", cases[i].name, r.err);
            CHECKF(strstr(r.err, cases[i].expect) != NULL, "%s: lacks '%s': %s", cases[i].name, cases[i].expect, r.err);
            proc_free(&r);
        }
    }
    char path[512];
    snprintf(path, sizeof path, "%s/empty.gguf", t_tmpdir());
    t_write_file(path, "", 0);
    proc_result r = run_moetop("info", "-m", path, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "empty file"), "empty file: %s", r.err);
    proc_free(&r);
    /* a FIFO with no writer is refused at once (opening it used to wait for a writer forever) */
    snprintf(path, sizeof path, "%s/pipe.gguf", t_tmpdir());
    unlink(path);
    if (CHECK(mkfifo(path, 0644) == 0)) {
        const char *argv[] = { t_bin(), "info", "-m", path, NULL };
        r = proc_run_deadline(argv, NULL, 60);
        CHECKF(!r.timed_out && is_clean_usage_error(&r) && strstr(r.err, "not a regular file"), "FIFO: exit %d: %s", r.status, r.err);
        proc_free(&r);
    }
    malformed_free(cases, n);
}

static void control_info_json(void) {
    mt_bytes control;
    malformed_valid_control(&control);
    char path[512];
    snprintf(path, sizeof path, "%s/control.gguf", t_tmpdir());
    t_write_file(path, control.data, control.len);
    mt_bytes_free(&control);
    proc_result r = run_moetop("info", "-m", path, NULL);
    CHECKF(r.status == 0 && strstr(r.out, "test.nested") && strstr(r.out, "Q8_0"), "human info: %d %s", r.status, r.err);
    proc_free(&r);
    jv *v = info_json(path);
    if (!v) return;
    CHECK(strcmp(jv_str(v, "file"), "control.gguf") == 0);
    CHECK(jv_num(v, "version", 0) == 3 && jv_num(v, "alignment", 0) == 32 && strcmp(jv_str(v, "arch"), "gpt-oss") == 0);
    const jv *md = jv_get(v, "metadata");
    const jv *arr = jv_get(md, "test.array"), *nested = jv_get(md, "test.nested");
    CHECK(arr && arr->kind == JV_ARR && arr->len == 3 && jv_at(arr, 2)->num == 3);
    CHECK(nested && nested->len == 2 && jv_at(nested, 0)->len == 2 && jv_at(jv_at(nested, 1), 0)->num == 3);
    CHECK(jv_num(md, "test.float", 0) == 1.5);
    const jv *tensors = jv_get(v, "tensors");
    if (CHECK(tensors && tensors->len == 2)) {
        const jv *b = jv_at(tensors, 1);
        CHECK(strcmp(jv_str(b, "name"), "b") == 0 && strcmp(jv_str(b, "type"), "Q8_0") == 0);
        CHECK(jv_num(b, "offset", 0) == 256 && jv_num(b, "bytes", 0) == 68);
        CHECK(jv_get(b, "shape")->len == 1 && jv_at(jv_get(b, "shape"), 0)->num == 64);
    }
    jv_free(v);
}

/* Keys and strings with invalid UTF-8 still make valid JSON (U+FFFD). */
static void json_survives_invalid_utf8(void) {
    mt_bytes b = { 0 };
    mt_bytes_put(&b, "GGUF", 4);
    mt_bytes_u32(&b, 3);
    mt_bytes_u64(&b, 0);
    mt_bytes_u64(&b, 2);
    mt_bytes_str(&b, "bad\xff.key", 8);
    mt_bytes_u32(&b, 8);
    mt_bytes_str(&b, "caf\xc3 \"q\" \x01", 10);
    mt_bytes_cstr(&b, "long.array");
    mt_bytes_u32(&b, 9);
    mt_bytes_u32(&b, 6);
    mt_bytes_u64(&b, 17);
    for (int i = 0; i < 17; i++) mt_bytes_f32(&b, (float)i);
    char path[512];
    snprintf(path, sizeof path, "%s/utf8.gguf", t_tmpdir());
    t_write_file(path, b.data, b.len);
    mt_bytes_free(&b);
    jv *v = info_json(path);
    if (!v) return;
    const jv *md = jv_get(v, "metadata");
    const char *s = jv_str(md, "bad\xef\xbf\xbd.key");
    CHECKF(s && strcmp(s, "caf\xef\xbf\xbd \"q\" \x01") == 0, "string: %s", s ? s : "(missing)");
    const jv *summary = jv_get(md, "long.array");
    CHECK(summary && summary->kind == JV_OBJ && strcmp(jv_str(summary, "array"), "float32") == 0 && jv_num(summary, "length", 0) == 17);
    jv_free(v);
}

/* A copy of the binary far from the repository and with no installed share/
 * finds no bundled model: commands that need one say so, in one line. */
static void no_bundled_model_far_from_the_tree(void) {
    char dir[512], bin[600], cmd[1400];
    snprintf(dir, sizeof dir, "%s/alone/bin", t_tmpdir());
    snprintf(bin, sizeof bin, "%s/moetop", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s'", dir, t_bin(), bin);
    if (!CHECK(system(cmd) == 0)) return;
    static const char *const cases[][3] = { { "info", NULL, NULL }, { "tokenize", "hello", NULL }, { "trace", "--prompt", "x" } };
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = { bin, cases[i][0], cases[i][1], cases[i][2], NULL };
        proc_result r = proc_run(argv, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, "-m: no model given and no bundled model found"), "%s: exit %d, '%s'", cases[i][0],
               r.status, r.err);
        proc_free(&r);
    }
}

/* tools/gpu-kernels-check.sh, given what it cannot use: exit 2 and one line saying why, before any test
 * runs (it used to run everything with a moetop that was not there and exit 0); a model moetop reads but
 * cannot run: exit 1 (bench failed). The parity tests are stand-ins that pass. */
static void gpu_kernels_check_arguments(void) {
    const char *script = "tools/gpu-kernels-check.sh";
    FILE *probe = fopen(script, "r");
    if (!probe) {
        t_skip("no %s in the current directory (the tests run from the repository root)", script);
        return;
    }
    fclose(probe);
    char dir[600], empty[600], model[700], cut[700], broken[700], cmd[2700];
    snprintf(dir, sizeof dir, "%s/gpu-check-bin", t_tmpdir());
    snprintf(empty, sizeof empty, "%s/gpu-check-empty", t_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s' && for t in test_parity test_engine test_families test_vulkan_families; do "
             "printf '#!/bin/sh\\necho PASS stand-in\\n' > '%s'/$t && chmod +x '%s'/$t; done", dir, empty, dir, dir);
    if (!CHECK(system(cmd) == 0)) return;
    snprintf(model, sizeof model, "%s/gpu-check.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "--preset", "tiny", "-o", model, NULL);
    if (!CHECKF(r.status == 0, "synth: %s", r.err)) return;
    proc_free(&r);
    unsigned long len = 0;
    char *bytes = t_read_file(model, &len);
    if (!CHECK(bytes != NULL && len > 4096)) return;
    snprintf(cut, sizeof cut, "%s/gpu-check-cut.gguf", t_tmpdir());
    CHECK(t_write_file(cut, bytes, len - 100));
    /* a tensor renamed: the file reads, the model does not load */
    const char *name = "blk.0.ffn_gate_inp.weight";
    char *at = NULL;
    for (unsigned long i = 0; i + strlen(name) <= len; i++)
        if (memcmp(bytes + i, name, strlen(name)) == 0) { at = bytes + i; break; }
    if (!CHECKF(at != NULL, "no %s in the model", name)) { free(bytes); return; }
    at[strlen(name) - 8] = 'X';
    snprintf(broken, sizeof broken, "%s/gpu-check-broken.gguf", t_tmpdir());
    CHECK(t_write_file(broken, bytes, len));
    free(bytes);
    static const char *const none = "/nonexistent/moetop";
    struct { const char *a[3]; int status; const char *says; } cases[] = {
        { { NULL, NULL, NULL }, 2, "usage: sh tools/gpu-kernels-check.sh" },
        { { empty, model, t_bin() }, 2, "gpu-kernels-check: no test_parity in" },
        { { dir, model, none }, 2, "gpu-kernels-check: /nonexistent/moetop: does not run" },
        { { dir, "/nonexistent/m.gguf", t_bin() }, 2, "gpu-kernels-check: /nonexistent/m.gguf: no such file" },
        { { dir, cut, t_bin() }, 2, "truncated?" },
        { { dir, broken, t_bin() }, 1, "bench: exit 2" },
    };
    const char *tmp = getenv("TMPDIR");
    char *saved = tmp ? strdup(tmp) : NULL;
    setenv("TMPDIR", t_tmpdir(), 1); /* the script's logs */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *argv[] = { "/bin/sh", script, cases[i].a[0], cases[i].a[1], cases[i].a[2], NULL };
        r = proc_run_deadline(argv, NULL, 120);
        bool bad_args = cases[i].status == 2;
        CHECKF(r.status == cases[i].status && strstr(bad_args ? r.err : r.out, cases[i].says) &&
                   (!bad_args || (proc_count_lines(r.err) == 1 && r.out_len == 0)),
               "case %zu: exit %d, stdout '%s', stderr '%s'", i, r.status, r.out, r.err);
        proc_free(&r);
    }
    if (saved) setenv("TMPDIR", saved, 1);
    else unsetenv("TMPDIR");
    free(saved);
}

/* tools/bench-side-by-side.sh over stand-ins for moetop and llama-bench with fixed speeds: the medians, the
 * ratios, how many rounds moetop won and the sign test's p-value by hand (5 of 5: p = 2/2^5 = 0.0625), and the
 * two programs taking turns (llama.cpp second in odd rounds, first in even ones). */
static void bench_side_by_side_by_hand(void) {
    const char *script = "tools/bench-side-by-side.sh";
    if (access(script, R_OK) != 0) {
        t_skip("no %s in the current directory (the tests run from the repository root)", script);
        return;
    }
    char fake_m[600], fake_l[600], log[600], model[600], text[1600];
    snprintf(fake_m, sizeof fake_m, "%s/fake-moetop", t_tmpdir());
    snprintf(fake_l, sizeof fake_l, "%s/fake-llama-bench", t_tmpdir());
    snprintf(log, sizeof log, "%s/order.log", t_tmpdir());
    snprintf(model, sizeof model, "%s/any.gguf", t_tmpdir());
    snprintf(text, sizeof text, "#!/bin/sh\necho m >> '%s'\necho '{\"prefill_tok_s\": 100.0, \"decode_tok_s\": 50.0}'\n", log);
    CHECK(t_write_file(fake_m, text, strlen(text)));
    snprintf(text, sizeof text, "#!/bin/sh\necho l >> '%s'\necho '\"n_prompt\",\"n_gen\",\"avg_ts\"'\n"
             "echo '\"64\",\"0\",\"80\"'\necho '\"0\",\"32\",\"100\"'\n", log);
    CHECK(t_write_file(fake_l, text, strlen(text)));
    CHECK(chmod(fake_m, 0755) == 0 && chmod(fake_l, 0755) == 0);
    CHECK(t_write_file(model, "", 0) && t_write_file(log, "", 0));
    const char *argv[] = { "/bin/sh", script, model, fake_m, fake_l, "", "5", NULL };
    proc_result r = proc_run_deadline(argv, NULL, 120);
    CHECKF(r.status == 0, "exit %d: %s %s", r.status, r.out, r.err);
    static const struct { const char *row; double m, l, ratio; } rows[] = { { "\n  prefill ", 100, 80, 1.25 }, { "\n  decode ", 50, 100, 0.5 } };
    for (size_t i = 0; i < 2; i++) {
        const char *at = strstr(r.out, rows[i].row);
        double m = 0, l = 0, ratio = 0, each[5] = { 0 };
        int got = at ? sscanf(at + strlen(rows[i].row), "%lf %lf %lfx %lf %lf %lf %lf %lf", &m, &l, &ratio, &each[0], &each[1], &each[2], &each[3], &each[4]) : 0;
        CHECKF(got == 8 && m == rows[i].m && l == rows[i].l && ratio == rows[i].ratio && each[0] == rows[i].ratio && each[4] == rows[i].ratio,
               "%s: %s", rows[i].row + 1, r.out);
    }
    CHECKF(strstr(r.out, "moetop faster in 5 of 5 rounds (sign test, two-sided: p = 0.062)") &&
               strstr(r.out, "moetop faster in 0 of 5 rounds (sign test, two-sided: p = 0.062)"),
           "%s", r.out);
    char *order = t_read_file(log, NULL);
    /* five rounds in turns, then moetop alone for lavapipe (no anchor given) */
    CHECKF(order && strcmp(order, "m\nl\nl\nm\nm\nl\nl\nm\nm\nl\nm\n") == 0, "order: %s", order ? order : "(none)");
    free(order);
    proc_free(&r);
}

int main(void) {
    t_begin("cli");
    RUN(help_and_version);
    RUN(usage_errors);
    RUN(no_bundled_model_far_from_the_tree);
    RUN(malformed_files_exit_2);
    RUN(control_info_json);
    RUN(json_survives_invalid_utf8);
    RUN(gpu_kernels_check_arguments);
    RUN(bench_side_by_side_by_hand);
    return t_end();
}
