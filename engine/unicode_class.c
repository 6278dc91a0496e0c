#include "unicode_class.h"

mt_uc_class mt_uc_class_of(uint32_t cp) {
    if (cp < 128) return mt_uc_ascii[cp];
    unsigned lo = 0, hi = mt_uc_range_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cp < mt_uc_ranges[mid].lo) hi = mid;
        else if (cp > mt_uc_ranges[mid].hi) lo = mid + 1;
        else return (mt_uc_class)mt_uc_ranges[mid].cls;
    }
    return MT_UC_OTHER;
}

int mt_uc_width(uint32_t cp) {
    if (cp < 0x300) return 1;
    unsigned lo = 0, hi = mt_uc_width_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cp < mt_uc_widths[mid].lo) hi = mid;
        else if (cp > mt_uc_widths[mid].hi) lo = mid + 1;
        else return mt_uc_widths[mid].width;
    }
    return 1;
}

bool mt_uc_blank(uint32_t cp) {
    if (cp < 0x80) return cp <= 0x20 || cp == 0x7f;
    unsigned lo = 0, hi = mt_uc_blank_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (cp < mt_uc_blank_spans[mid].lo) hi = mid;
        else if (cp > mt_uc_blank_spans[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}
