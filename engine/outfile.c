#define _GNU_SOURCE /* O_TMPFILE */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

#define MAX_LINKS 40

/* "<path>" or "<path> (-> <target>)", for messages. */
static void fail(mt_err *err, const char *path, const char *target, const char *what, int e) {
    if (target && strcmp(path, target) != 0) mt_err_set(err, "%s (-> %s): %s: %s", path, target, what, strerror(e));
    else mt_err_set(err, "%s: %s: %s", path, what, strerror(e));
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Follows symbolic links from path to the name that is not one (or does not
 * exist yet). NULL with errno on failure; *via_proc when a link in /proc (an
 * open descriptor's) was met, and then the name is that link. */
static char *follow_links(const char *path, bool *via_proc) {
    char *cur = strdup(path);
    for (int hops = 0; cur; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            if (errno == ENOENT) return cur;
            break;
        }
        if (!S_ISLNK(st.st_mode)) return cur;
        if (strncmp(cur, "/proc/", 6) == 0) {
            *via_proc = true;
            return cur;
        }
        if (hops == MAX_LINKS) {
            errno = ELOOP;
            break;
        }
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link);
        if (n < 0) break;
        if ((size_t)n == sizeof link) {
            errno = ENAMETOOLONG;
            break;
        }
        const char *slash = strrchr(cur, '/');
        size_t dir = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1; /* a relative link is read from its directory */
        char *next = malloc(dir + (size_t)n + 1);
        if (!next) break;
        memcpy(next, cur, dir);
        memcpy(next + dir, link, (size_t)n);
        next[dir + (size_t)n] = 0;
        free(cur);
        cur = next;
    }
    int e = errno;
    free(cur);
    errno = e;
    return NULL;
}

/* A new name in target's directory: "<dir>/.<base>.<16 hex digits>.tmp". */
static char *temp_name(const char *target, mt_rng *rng) {
    const char *slash = strrchr(target, '/');
    size_t dir = slash ? (size_t)(slash - target) + 1 : 0;
    const char *base = target + dir;
    size_t n = dir + 1 + strlen(base) + 1 + 16 + 4 + 1;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "%.*s.%s.%016llx.tmp", (int)dir, target, base, (unsigned long long)mt_rng_u64(rng));
    return name;
}

static mt_rng temp_rng(const void *salt) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return mt_rng_seed((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, (uint64_t)getpid() ^ (uint64_t)(uintptr_t)salt);
}

/* A named temporary file beside target (O_EXCL: never someone else's). */
static int open_named_temp(mt_outfile *o) {
    mt_rng rng = temp_rng(o);
    for (int attempt = 0; attempt < 100; attempt++) {
        char *name = temp_name(o->target, &rng);
        if (!name) {
            errno = ENOMEM;
            return -1;
        }
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd >= 0) {
            o->tmp = name;
            return fd;
        }
        int e = errno;
        free(name);
        errno = e;
        if (e != EEXIST) return -1;
    }
    return -1;
}

/* The temporary file: unnamed where the file system and /proc allow. */
static int open_temp(mt_outfile *o) {
#ifdef O_TMPFILE
    if (access("/proc/self/fd", X_OK) == 0) {
        const char *slash = strrchr(o->target, '/');
        char *dir = slash ? dup_n(o->target, slash == o->target ? 1 : (size_t)(slash - o->target)) : strdup(".");
        if (!dir) {
            errno = ENOMEM;
            return -1;
        }
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        free(dir);
        if (fd >= 0) {
            o->proc_link = true;
            return fd;
        }
        /* unsupported here (or a real error, which the named file meets too) */
    }
#endif
    return open_named_temp(o);
}

/* A Unix stream socket, connected. */
static int connect_socket(const char *path) {
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The stream's end: writes to fd, keeping the first error's errno (stdio
 * keeps only that one happened), so a commit can say why a write failed. */
struct mt_outfile_sink {
    int fd;
    int err;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n) {
    mt_outfile_sink *s = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (!s->err) s->err = w < 0 ? errno : EIO;
            return 0; /* fopencookie: 0 is an error */
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

static int sink_close(void *cookie) {
    mt_outfile_sink *s = cookie;
    int r = close(s->fd);
    if (r != 0 && !s->err) s->err = errno;
    s->fd = -1;
    return r;
}

/* Releases what o holds (the stream already closed); zeroes it. */
static void release(mt_outfile *o) {
    if (o->tmp) unlink(o->tmp);
    free(o->path);
    free(o->target);
    free(o->tmp);
    free(o->sink);
    memset(o, 0, sizeof *o);
}

/* Releases o and reports e; false. */
static bool give_up(mt_outfile *o, int e, mt_err *err) {
    fail(err, o->path ? o->path : "(out of memory)", o->target, "cannot write", e);
    release(o);
    return false;
}

/* o->f over fd; false (o released, err set) when fd < 0 or stdio fails (errno). */
static bool attach(mt_outfile *o, int fd, mt_err *err) {
    if (fd < 0) return give_up(o, errno, err);
    static const cookie_io_functions_t io = { .write = sink_write, .close = sink_close };
    if ((o->sink = calloc(1, sizeof *o->sink))) {
        o->sink->fd = fd;
        if ((o->f = fopencookie(o->sink, "w", io))) return true;
    }
    int e = o->sink ? errno : ENOMEM;
    close(fd);
    return give_up(o, e, err);
}

static bool open_through(mt_outfile *o, const struct stat *st, mt_err *err) {
    o->kind = MT_OUT_THROUGH;
    int fd = S_ISSOCK(st->st_mode) ? connect_socket(o->path)
                                    : open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (S_ISREG(st->st_mode) ? O_APPEND : 0));
    return attach(o, fd, err);
}

bool mt_outfile_open(mt_outfile *o, const char *path, mt_err *err) {
    memset(o, 0, sizeof *o);
    if (!path || !*path) {
        mt_err_set(err, "(an empty file name): cannot write: %s", strerror(ENOENT));
        return false;
    }
    if (!(o->path = strdup(path))) return give_up(o, ENOMEM, err);
    if (strcmp(path, "-") == 0) {
        o->kind = MT_OUT_STDOUT;
        o->f = stdout;
        return true;
    }
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) return give_up(o, errno, err); /* ENOTDIR, EACCES, ELOOP ... */
    if (exists && S_ISDIR(st.st_mode)) return give_up(o, EISDIR, err);
    if (exists && !S_ISREG(st.st_mode)) return open_through(o, &st, err);
    bool via_proc = false;
    if (!(o->target = follow_links(path, &via_proc))) return give_up(o, errno, err);
    if (via_proc) return open_through(o, &st, err);
    o->kind = MT_OUT_REPLACE;
    exists = stat(o->target, &st) == 0;
    if (exists && faccessat(AT_FDCWD, o->target, W_OK, AT_EACCESS) != 0) return give_up(o, errno, err);
    int fd = open_temp(o);
    if (fd >= 0 && exists) { /* the old file's owner (where allowed) and permission bits */
        if ((st.st_uid != geteuid() || st.st_gid != getegid()) && fchown(fd, st.st_uid, st.st_gid) != 0) { /* not ours to give */ }
        if (fchmod(fd, st.st_mode & 07777) != 0) {
            int e = errno;
            close(fd);
            fd = -1;
            errno = e;
        }
    }
    return attach(o, fd, err);
}

/* Gives the unnamed temporary file a name beside the target. */
static bool name_temp(mt_outfile *o) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", o->sink->fd);
    mt_rng rng = temp_rng(o);
    for (int attempt = 0; attempt < 100; attempt++) {
        char *name = temp_name(o->target, &rng);
        if (!name) {
            errno = ENOMEM;
            return false;
        }
        if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0) {
            o->tmp = name;
            return true;
        }
        int e = errno;
        free(name);
        errno = e;
        if (e != EEXIST) return false;
    }
    return false;
}

bool mt_outfile_commit(mt_outfile *o, mt_err *err) {
    if (!o->f) {
        mt_err_set(err, "%s: already closed", o->path ? o->path : "(no file)");
        return false;
    }
    errno = 0;
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    int e = o->sink && o->sink->err ? o->sink->err : errno;
    const char *what = "write failed";
    if (o->kind == MT_OUT_STDOUT) {
        o->f = NULL;
        if (!ok) mt_err_set(err, "standard output: %s: %s", what, strerror(e ? e : EIO));
        release(o);
        return ok;
    }
    if (ok && o->kind == MT_OUT_REPLACE) {
        if (fsync(o->sink->fd) != 0) ok = false, e = errno;
        else if (o->proc_link && !name_temp(o)) ok = false, e = errno, what = "cannot name the new file";
    }
    if (fclose(o->f) != 0 && ok) ok = false, e = o->sink->err ? o->sink->err : errno;
    o->f = NULL;
    if (ok && o->kind == MT_OUT_REPLACE && rename(o->tmp, o->target) != 0) ok = false, e = errno, what = "cannot replace it";
    if (!ok) fail(err, o->path, o->target, what, e ? e : EIO);
    else {
        free(o->tmp); /* renamed: nothing to remove */
        o->tmp = NULL;
    }
    release(o);
    return ok;
}

void mt_outfile_abort(mt_outfile *o) {
    if (o->f && o->kind == MT_OUT_STDOUT) fflush(o->f);
    else if (o->f) fclose(o->f);
    o->f = NULL;
    release(o);
}

bool mt_outfile_write(const char *path, const void *data, size_t n, mt_err *err) {
    mt_outfile o;
    if (!mt_outfile_open(&o, path, err)) return false;
    if (n && fwrite(data, 1, n, o.f) != n) { /* the commit reports it (and removes the new file) */ }
    return mt_outfile_commit(&o, err);
}
