/* The prompt line: editing (insert, delete by whole UTF-8 characters, move,
 * history), replacing the prompt, the chat wrapper (chat.h), and the prompt
 * sets from assets/prompts cycled by domain. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "app_keys.h"
#include "engine/chat.h"
#include "engine/lines.h"
#include "engine/utf8.h"
#include "script.h"

bool mt_app_set_prompt(mt_app *app, const char *text, mt_err *err) {
    mt_ids ids = { 0 };
    if (!mt_tok_encode_prompt(app->tok, text, strlen(text), true, &ids)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    if (ids.n > app->m->hp.n_ctx) {
        snprintf(app->message, sizeof app->message, "the prompt's %zu tokens are more than the context of %u", ids.n, app->m->hp.n_ctx);
        mt_ids_free(&ids);
        return true; /* refused, said on the status line; the old prompt stays */
    }
    app->baseline_cancelled = false;
    mt_session_truncate(app->s, 0);
    bool ok = !ids.n || mt_session_append(app->s, ids.ids, (uint32_t)ids.n, err);
    mt_ids_free(&ids);
    snprintf(app->prompt, sizeof app->prompt, "%s", text);
    mt_session_free(app->baseline);
    app->baseline = NULL;
    mt_session_free(app->gen);
    app->gen = NULL;
    app->gen_pending = 0;
    uint32_t n = mt_session_length(app->s);
    app->cur_tok = n ? (app->cur_tok < n ? app->cur_tok : n - 1) : 0;
    app->top_tok = 0;
    return ok;
}

static void remember(mt_app *app, const char *text) {
    if (app->n_history && strcmp(app->history[0], text) == 0) return;
    if (app->n_history == MT_HISTORY) free(app->history[--app->n_history]);
    memmove(app->history + 1, app->history, (size_t)app->n_history * sizeof *app->history);
    app->history[0] = strdup(text);
    if (app->history[0]) app->n_history++;
    else memmove(app->history, app->history + 1, (size_t)app->n_history * sizeof *app->history);
}

/* The start of the UTF-8 character before byte offset at. */
static size_t prev_char(const char *s, size_t at) {
    while (at > 0 && ((unsigned char)s[--at] & 0xc0) == 0x80) {}
    return at;
}

static size_t next_char(const char *s, size_t at) {
    size_t n = strlen(s);
    if (at >= n) return n;
    uint32_t cp;
    return at + mt_utf8_next((const uint8_t *)s + at, n - at, &cp);
}

/* A key while editing; true when it was handled here. */
bool mt_prompt_line_key(mt_app *app, int key, mt_err *err);
bool mt_prompt_line_key(mt_app *app, int key, mt_err *err) {
    size_t len = strlen(app->edit);
    switch (key) {
    case MT_KEY_ENTER:
        app->editing = false;
        if (app->edit_target == MT_EDIT_NAME) return mt_app_keep_named(app, app->edit, err);
        remember(app, app->edit);
        snprintf(app->message, sizeof app->message, "prompt run");
        return mt_app_set_prompt(app, app->edit, err);
    case MT_KEY_ESC:
        app->editing = false;
        snprintf(app->message, sizeof app->message, "edit cancelled");
        return true;
    case MT_KEY_BACKSPACE:
        if (app->edit_at > 0) {
            size_t from = prev_char(app->edit, app->edit_at);
            memmove(app->edit + from, app->edit + app->edit_at, len - app->edit_at + 1);
            app->edit_at = from;
        }
        return true;
    case MT_KEY_DELETE:
        if (app->edit_at < len) {
            size_t to = next_char(app->edit, app->edit_at);
            memmove(app->edit + app->edit_at, app->edit + to, len - to + 1);
        }
        return true;
    case MT_KEY_LEFT: app->edit_at = prev_char(app->edit, app->edit_at); return true;
    case MT_KEY_RIGHT: app->edit_at = next_char(app->edit, app->edit_at); return true;
    case MT_KEY_HOME:
    case MT_KEY_CTRL_A + ('a' - 'a'): app->edit_at = 0; return true;
    case MT_KEY_END:
    case MT_KEY_CTRL_A + ('e' - 'a'): app->edit_at = len; return true;
    case MT_KEY_CTRL_A + ('u' - 'a'): /* readline's: delete to the start */
        memmove(app->edit, app->edit + app->edit_at, len - app->edit_at + 1);
        app->edit_at = 0;
        return true;
    case MT_KEY_CTRL_A + ('k' - 'a'): /* and to the end */
        app->edit[app->edit_at] = 0;
        return true;
    case MT_KEY_UP:
    case MT_KEY_DOWN:
        if (!app->n_history || app->edit_target == MT_EDIT_NAME) return true;
        app->history_at += key == MT_KEY_UP ? 1 : -1;
        if (app->history_at < 0) app->history_at = 0;
        if (app->history_at > app->n_history) app->history_at = app->n_history;
        snprintf(app->edit, sizeof app->edit, "%s", app->history_at ? app->history[app->history_at - 1] : app->prompt);
        app->edit_at = strlen(app->edit);
        return true;
    default:
        if (key < ' ' || key >= 0x110000) return true; /* other special keys do nothing here */
        char buf[4];
        size_t n = mt_utf8_encode((uint32_t)key, buf);
        if (len + n >= sizeof app->edit) {
            snprintf(app->message, sizeof app->message, "the prompt line is full");
            return true;
        }
        memmove(app->edit + app->edit_at + n, app->edit + app->edit_at, len - app->edit_at + 1);
        memcpy(app->edit + app->edit_at, buf, n);
        app->edit_at += n;
        return true;
    }
}

bool mt_action_edit(mt_app *app, mt_err *err);
bool mt_action_edit(mt_app *app, mt_err *err) {
    (void)err;
    app->editing = true;
    app->edit_target = MT_EDIT_PROMPT;
    /* the line starts as the prompt in force; when that is the newest history entry, start there,
     * so that the first Up shows the one before it (not the same text again) */
    app->history_at = app->n_history && strcmp(app->history[0], app->prompt) == 0 ? 1 : 0;
    snprintf(app->edit, sizeof app->edit, "%s", app->prompt);
    app->edit_at = strlen(app->edit);
    return true;
}

bool mt_action_chat(mt_app *app, mt_err *err);
bool mt_action_chat(mt_app *app, mt_err *err) {
    mt_chat_format f = mt_chat_format_of(app->tok);
    if (f == MT_CHAT_NONE) {
        snprintf(app->message, sizeof app->message, "this vocabulary has no chat format");
        return true;
    }
    if (mt_chat_is_wrapped(f, app->prompt)) {
        snprintf(app->message, sizeof app->message, "already a chat");
        return true;
    }
    char chat[MT_PROMPT_MAX];
    if (!mt_chat_text(f, app->prompt, chat, sizeof chat)) {
        snprintf(app->message, sizeof app->message, "the prompt is too long to wrap");
        return true;
    }
    snprintf(app->message, sizeof app->message, "wrapped as a %s chat", mt_chat_format_name(f));
    return mt_app_set_prompt(app, chat, err);
}

static bool show_set(mt_app *app, mt_err *err) {
    const mt_prompt_entry *p = &app->sets[app->set_at];
    size_t number = 0, of = 0; /* its place in its domain, from 1 */
    for (size_t i = 0; i < app->n_sets; i++)
        if (strcmp(app->sets[i].domain, p->domain) == 0) {
            of++;
            if (i <= app->set_at) number++;
        }
    snprintf(app->message, sizeof app->message, "%s prompt %zu of %zu", p->domain, number, of);
    return mt_app_set_prompt(app, p->text, err);
}

bool mt_action_next_prompt(mt_app *app, mt_err *err);
bool mt_action_next_prompt(mt_app *app, mt_err *err) {
    if (!app->n_sets) {
        snprintf(app->message, sizeof app->message, "no prompt sets found");
        return true;
    }
    app->set_at = app->set_shown ? (app->set_at + 1) % app->n_sets : 0; /* the first press shows the first prompt */
    app->set_shown = true;
    return show_set(app, err);
}

bool mt_action_next_domain(mt_app *app, mt_err *err);
bool mt_action_next_domain(mt_app *app, mt_err *err) {
    if (!app->n_sets) {
        snprintf(app->message, sizeof app->message, "no prompt sets found");
        return true;
    }
    size_t i = 0; /* the first press shows the first domain */
    if (app->set_shown) {
        const char *domain = app->sets[app->set_at].domain;
        i = app->set_at;
        do i = (i + 1) % app->n_sets;
        while (i != app->set_at && strcmp(app->sets[i].domain, domain) == 0);
    }
    app->set_at = i;
    app->set_shown = true;
    return show_set(app, err);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void mt_app_load_prompt_sets(mt_app *app, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < 256;)
        if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name))) n++;
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t f = 0; f < n; f++) {
        char path[8192], domain[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        snprintf(domain, sizeof domain, "%.255s", names[f]);
        char *dot = strrchr(domain, '.');
        if (dot && dot != domain) *dot = 0;
        FILE *fp = fopen(path, "rb");
        char *text = NULL;
        size_t len = 0;
        if (fp) {
            text = malloc(1 << 20);
            len = text ? fread(text, 1, (1 << 20) - 1, fp) : 0;
            fclose(fp);
        }
        /* the prompts: engine/lines.h's rules, as the commands read prompt sets */
        mt_lines lines;
        mt_lines_init(&lines, text, text ? len : 0);
        mt_bytes prompt = { 0 };
        mt_prompt_span span;
        while (text && mt_prompt_next(&lines, &prompt, &span) && !prompt.oom) {
            if (span.nul_line) continue; /* not text: such a prompt cannot be shown or edited */
            mt_prompt_entry *grown = realloc(app->sets, (app->n_sets + 1) * sizeof *grown);
            if (!grown) break;
            app->sets = grown;
            mt_prompt_entry *p = &app->sets[app->n_sets];
            p->domain = strdup(domain);
            p->text = strndup((const char *)prompt.data, prompt.len);
            if (p->domain && p->text) app->n_sets++;
            else free(p->domain), free(p->text);
        }
        mt_bytes_free(&prompt);
        free(text);
        free(names[f]);
    }
}

/* A bracketed paste: the whole text is one edit. Line ends (CR LF, CR, LF)
 * become LF, a tab stays, other control characters are dropped and bytes
 * that are not UTF-8 become U+FFFD; what does not fit the line is left out
 * (said on the status line). Outside the editor the paste opens it, holding
 * the pasted text (Enter runs it, Esc cancels). */
bool mt_app_paste(mt_app *app, const char *text, mt_err *err) {
    (void)err;
    if (mt_app_too_small(app)) return true;
    if (!app->editing) {
        mt_action_edit(app, err);
        app->edit[0] = 0;
        app->edit_at = 0;
    }
    size_t len = strlen(app->edit), n = strlen(text), room = sizeof app->edit - 1 - len;
    char *add = malloc(n * 3 + 1); /* a byte becomes at most U+FFFD's 3 */
    if (!add) {
        snprintf(app->message, sizeof app->message, "out of memory for the paste");
        return true;
    }
    size_t o = 0, chars = 0, left_out = 0;
    bool full = false; /* past the first character that does not fit, the rest is left out */
    const uint8_t *s = (const uint8_t *)text;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t step = mt_utf8_next(s + i, n - i, &cp);
        if (cp == '\r' && i + 1 < n && s[i + 1] == '\n') {
            i++;
            continue; /* the LF after it is the line end */
        }
        i += step;
        if (cp == MT_UTF8_INVALID) cp = 0xfffd;
        if (cp == '\r') cp = '\n';
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) continue;
        char buf[4];
        size_t k = mt_utf8_encode(cp, buf);
        if (full || o + k > room) {
            full = true;
            left_out++;
            continue;
        }
        memcpy(add + o, buf, k);
        o += k;
        chars++;
    }
    memmove(app->edit + app->edit_at + o, app->edit + app->edit_at, len - app->edit_at + 1);
    memcpy(app->edit + app->edit_at, add, o);
    app->edit_at += o;
    free(add);
    if (left_out) snprintf(app->message, sizeof app->message, "the prompt line is full: %zu characters pasted, %zu left out", chars, left_out);
    else snprintf(app->message, sizeof app->message, "pasted %zu characters (Enter runs the prompt)", chars);
    return true;
}
