#include "scroll.h"

#include <stdio.h>
#include <string.h>

uint32_t mt_scroll_clamp(int64_t first, uint32_t visible, uint32_t n) {
    int64_t last_first = n > visible ? (int64_t)n - visible : 0;
    return (uint32_t)(first < 0 ? 0 : first > last_first ? last_first : first);
}

uint32_t mt_scroll_follow(uint32_t first, uint32_t cursor, uint32_t visible, uint32_t n) {
    if (visible == 0) return cursor < n ? cursor : 0;
    int64_t f = first;
    if (cursor < f) f = cursor;
    if ((int64_t)cursor >= f + visible) f = (int64_t)cursor - visible + 1;
    return mt_scroll_clamp(f, visible, n);
}

bool mt_scroll_note(char *out, size_t cap, const char *what, uint32_t first, uint32_t shown, uint32_t n) {
    if (cap) out[0] = 0;
    if (first == 0 && shown >= n) return false;
    uint32_t last = first + (shown ? shown : 1) - 1;
    if (last >= n) last = n ? n - 1 : 0;
    snprintf(out, cap, "%s %u-%u of %u", what, first, last, n);
    return true;
}

void mt_scroll_append(char *out, size_t cap, const char *what, uint32_t first, uint32_t shown, uint32_t n, const char *keys) {
    char note[96];
    size_t o = strlen(out);
    if (!mt_scroll_note(note, sizeof note, what, first, shown, n) || o >= cap) return;
    if (keys) snprintf(out + o, cap - o, "%s%s%s (%s)%s", o ? "  " : "", first > 0 ? "<" : "", note, keys, first + shown < n ? ">" : "");
    else snprintf(out + o, cap - o, "%s%s%s%s", o ? "  " : "", first > 0 ? "<" : "", note, first + shown < n ? ">" : "");
}

void mt_scroll_show(mt_grid *g, mt_rect area, int y, const char *notes) {
    if (!notes[0] || y < area.y || y >= area.y + area.h) return;
    int w = mt_text_width(notes), x = area.x + area.w - w - 1;
    mt_grid_text(g, area, x > area.x ? x : area.x, y, notes, MT_COLOR_DEFAULT, MT_COLOR_DEFAULT, MT_ATTR_REVERSE);
}

int mt_digits(uint32_t v) {
    int d = 1;
    while (v >= 10) v /= 10, d++;
    return d;
}
