/* Where a model file's bytes live in memory, for the CPU backend's speed.
 *
 * A decoded token streams every active expert's weights from memory (about
 * 80 MB a token for the bench model). Read through the file's mapping, they
 * sit in 4 KiB pages of the page cache: one TLB entry covers 4 KiB, and a
 * page walk interrupts the stream every 4 KiB. Copied into anonymous memory
 * that the kernel backs with transparent huge pages (2 MiB), the same stream
 * needs 512 times fewer translations: decode on the bench model ran 1.10x
 * (median of 16 alternating pairs; README, Speed) on the project's machine.
 *
 * The copy takes the file mapping's place at the same address (mremap), so
 * every pointer into the model (tensor data, vocabulary strings) stays valid,
 * and it is read-only afterwards, as the mapping was. */
#ifndef MT_MAPPING_H
#define MT_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* mmap(fd) read-only and private, at a 2 MiB-aligned address when the
 * address space allows (so that huge pages can later back it whole).
 * MAP_FAILED on failure, with errno set. Unmap with munmap(map, size). */
void *mt_map_file(int fd, uint64_t size);

/* Moves the mapping [map, map + size) (from mt_map_file) into anonymous
 * memory advised for transparent huge pages, at the same address, copying
 * 64 MiB at a time and dropping each copied part's file pages from this
 * process (the page cache keeps them), so the resident size stays about one
 * file. False, with the mapping untouched and why set ("no memory for a
 * copy: ..."), when it cannot; the caller then reads the file's mapping as
 * before. The copy is charged to the commit limit (not MAP_NORESERVE): where
 * the kernel's overcommit rule refuses that much memory, it fails up front. */
bool mt_map_to_huge_pages(void *map, uint64_t size, char *why, size_t why_len);

/* Whether moving a file of size bytes is worth doing here, and why not:
 *  - MOETOP_HUGEPAGES=0 (or "off") says no; =1 (or "on") says yes whatever
 *    the rest says (for tests);
 *  - /sys/kernel/mm/transparent_hugepage/enabled reads "[never]" (no huge
 *    pages to gain) or cannot be read;
 *  - the file is smaller than one huge page (2 MiB): none could back it;
 *  - the file is more than half of MemAvailable (/proc/meminfo): the copy
 *    must not push the page cache (or anything else) out of memory.
 * why: one short phrase for --profile ("MOETOP_HUGEPAGES=0"). */
bool mt_map_huge_pages_wanted(uint64_t size, char *why, size_t why_len);
/* False when MOETOP_HUGEPAGES is set to something other than 0, 1, off, on
 * or empty (which then counts as unset); for the caller's one-line warning. */
bool mt_map_env_valid(void);
/* The largest file size that would be moved here and now (UINT64_MAX with
 * MOETOP_HUGEPAGES=1; otherwise files under 2 MiB are not moved either);
 * 0, with why set, when none would be. */
uint64_t mt_map_huge_pages_limit(char *why, size_t why_len);

/* A "Name:   N kB" field of a /proc file (/proc/meminfo, /proc/self/status)
 * in bytes; 0 when the file or the field is missing. */
uint64_t mt_proc_kb_field(const char *path, const char *field);

/* Bytes of [map, map + size) backed by huge pages (AnonHugePages of
 * /proc/self/smaps summed over the mappings inside the range); 0 when
 * unknown. For reports and tests. */
uint64_t mt_map_huge_bytes(const void *map, uint64_t size);

#endif
