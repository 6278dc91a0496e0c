/* Output files (engine/outfile.h): a regular or new file replaced whole, links
 * followed and kept, FIFOs, devices and sockets written through, "-" as
 * standard output, refusals naming the file and errno, a failed or killed
 * write leaving the old file and no temporary file; then the same through the
 * commands that write files (export, profile, merge-profiles, synth, --svg,
 * --export-frame, --record). */
#define _GNU_SOURCE /* setgroups, mknod, makedev, O_TMPFILE, F_SETPIPE_SZ */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/outfile.h"
#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define NOBODY 65534

/* A fresh directory t_tmpdir()/name (mode 0777 so an unprivileged child can use it). */
static const char *fresh_dir(const char *name, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s", t_tmpdir(), name);
    mkdir(buf, 0777);
    chmod(buf, 0777);
    chmod(t_tmpdir(), 0755);
    return buf;
}

/* Entries in dir other than . and .. (a temporary file left behind shows here). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d) closedir(d);
    return n;
}

static bool holds(const char *path, const char *text) {
    unsigned long n;
    char *got = t_read_file(path, &n);
    bool ok = got && n == strlen(text) && memcmp(got, text, n) == 0;
    free(got);
    return ok;
}

static void put(const char *path, const char *text) { t_write_file(path, text, strlen(text)); }

/* Runs fn(arg, fd) in a child; what it writes to fd comes back in msg. The child's exit status. */
static int in_child(int (*fn)(void *, int), void *arg, char *msg, size_t cap) {
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(fn(arg, p[1]));
    }
    close(p[1]);
    size_t n = 0;
    for (ssize_t got; n + 1 < cap && (got = read(p[0], msg + n, cap - 1 - n)) > 0;) n += (size_t)got;
    msg[n] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void say(int fd, const char *s) {
    if (write(fd, s, strlen(s)) < 0) { /* the parent reads what it can */ }
}

/* A regular file: a new one gets 0666 less the umask; an existing one is
 * replaced only at commit (a reader sees the old until then), keeps its
 * mode, and an abort leaves it as it was; no temporary file stays. */
static void regular_files_replaced_whole(void) {
    char dir[512], path[600];
    fresh_dir("regular", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.txt", dir);
    mt_err err;
    mode_t old_mask = umask(022);
    CHECKF(mt_outfile_write(path, "one\n", 4, &err), "%s", err.msg);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644 && holds(path, "one\n"));
    umask(old_mask);

    chmod(path, 0640);
    ino_t before = st.st_ino;
    mt_outfile o;
    if (CHECKF(mt_outfile_open(&o, path, &err), "%s", err.msg)) {
        CHECK(o.kind == MT_OUT_REPLACE);
        fputs("two, longer\n", o.f);
        fflush(o.f);
        CHECK(holds(path, "one\n")); /* not yet */
        CHECKF(mt_outfile_commit(&o, &err), "%s", err.msg);
    }
    CHECK(holds(path, "two, longer\n"));
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640 && st.st_ino != before);
    CHECKF(entries(dir) == 1, "%d entries", entries(dir));

    if (CHECKF(mt_outfile_open(&o, path, &err), "%s", err.msg)) {
        fputs("three\n", o.f);
        mt_outfile_abort(&o);
    }
    CHECK(holds(path, "two, longer\n"));
    CHECKF(entries(dir) == 1, "%d entries after an abort", entries(dir));
    mt_outfile_abort(&o); /* a second abort is harmless */
}

/* Symbolic links: followed (relative, absolute, chained) to the file written,
 * and they stay links; a link to a missing file creates it; a link into a
 * missing directory and a loop are refused, naming the link and errno. */
static void links_followed_and_kept(void) {
    char dir[512], other[512], file[600], link1[600], link2[600], abs_link[600], dangling[600], into_missing[600], loop_a[600], loop_b[600];
    fresh_dir("links", dir, sizeof dir);
    fresh_dir("links-other", other, sizeof other);
    snprintf(file, sizeof file, "%s/data.txt", other);
    snprintf(link1, sizeof link1, "%s/link1", dir);
    snprintf(link2, sizeof link2, "%s/link2", dir);
    snprintf(abs_link, sizeof abs_link, "%s/abs", dir);
    put(file, "old\n");
    CHECK(symlink("../links-other/data.txt", link1) == 0 && symlink("link1", link2) == 0 && symlink(file, abs_link) == 0);
    mt_err err;
    CHECKF(mt_outfile_write(link2, "via a chain\n", 12, &err), "%s", err.msg);
    struct stat st;
    CHECK(lstat(link1, &st) == 0 && S_ISLNK(st.st_mode) && lstat(link2, &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(holds(file, "via a chain\n"));
    CHECKF(mt_outfile_write(abs_link, "absolute\n", 9, &err), "%s", err.msg);
    CHECK(lstat(abs_link, &st) == 0 && S_ISLNK(st.st_mode) && holds(file, "absolute\n"));
    CHECKF(entries(dir) == 3 && entries(other) == 1, "%d and %d entries", entries(dir), entries(other));

    snprintf(dangling, sizeof dangling, "%s/dangling", dir);
    CHECK(symlink("created.txt", dangling) == 0);
    CHECKF(mt_outfile_write(dangling, "new\n", 4, &err), "%s", err.msg);
    snprintf(file, sizeof file, "%s/created.txt", dir);
    CHECK(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode) && holds(file, "new\n"));

    snprintf(into_missing, sizeof into_missing, "%s/into-missing", dir);
    CHECK(symlink("no-such-dir/x.txt", into_missing) == 0);
    CHECK(!mt_outfile_write(into_missing, "x", 1, &err));
    CHECKF(strstr(err.msg, into_missing) && strstr(err.msg, strerror(ENOENT)), "%s", err.msg);
    snprintf(loop_a, sizeof loop_a, "%s/loop-a", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop-b", dir);
    CHECK(symlink("loop-b", loop_a) == 0 && symlink("loop-a", loop_b) == 0);
    CHECK(!mt_outfile_write(loop_a, "x", 1, &err));
    CHECKF(strstr(err.msg, loop_a) && strstr(err.msg, strerror(ELOOP)), "%s", err.msg);
    CHECKF(entries(dir) == 8, "%d entries", entries(dir)); /* 3 links, dangling, created.txt, into-missing, the loop */
}

/* A FIFO is written through to its reader (the example: a rename
 * left the reader with nothing) and stays a FIFO; so is a link to one. */
static int read_all(const char *path, int out) {
    int fd = open(path, O_RDONLY);
    char buf[65536], line[32];
    long total = 0;
    for (ssize_t n; fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0;) total += n;
    snprintf(line, sizeof line, "%ld", total);
    say(out, line);
    return fd >= 0 ? 0 : 1;
}

typedef struct reader {
    pid_t pid;
    int fd;
} reader;

static reader start_reader(const char *path) {
    int p[2];
    reader r = { -1, -1 };
    if (pipe(p) != 0) return r;
    fflush(stdout);
    r.pid = fork();
    if (r.pid == 0) {
        close(p[0]);
        _exit(read_all(path, p[1]));
    }
    close(p[1]);
    r.fd = p[0];
    return r;
}

/* Bytes the reader got (it ends when the writer closes). */
static long reader_total(reader r) {
    char buf[32] = "";
    ssize_t n = r.fd >= 0 ? read(r.fd, buf, sizeof buf - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (r.fd >= 0) close(r.fd);
    if (r.pid > 0) waitpid(r.pid, NULL, 0);
    return n > 0 ? atol(buf) : -1;
}

static void fifo_written_through(void) {
    char dir[512], fifo[600], link[600];
    fresh_dir("fifo", dir, sizeof dir);
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    snprintf(link, sizeof link, "%s/pipe-link", dir);
    if (!CHECK(mkfifo(fifo, 0644) == 0 && symlink("pipe", link) == 0)) return;
    size_t n = 300000;
    char *data = malloc(n);
    memset(data, 'x', n);
    const char *paths[2] = { fifo, link };
    for (int i = 0; i < 2; i++) {
        reader r = start_reader(fifo);
        mt_err err;
        CHECKF(mt_outfile_write(paths[i], data, n, &err), "%s", err.msg);
        long got = reader_total(r);
        CHECKF(got == (long)n, "%s: the reader got %ld bytes", paths[i], got);
    }
    struct stat st;
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) && lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    CHECKF(entries(dir) == 2, "%d entries", entries(dir));
    free(data);
}

/* A character device node for the test: a private one (mknod, as root) where
 * allowed, else /dev/null. */
static const char *null_device(char *buf, size_t cap) {
    snprintf(buf, cap, "%s/null", t_tmpdir());
    if (access(buf, F_OK) == 0 || mknod(buf, S_IFCHR | 0666, makedev(1, 3)) == 0) return buf;
    return "/dev/null";
}

/* Devices: written through and left devices (as root, a rename once turned
 * /dev/null into a regular file); /dev/full's error is reported. */
static void devices_written_through(void) {
    char buf[600];
    const char *dev = null_device(buf, sizeof buf);
    struct stat before, after;
    if (!CHECK(stat(dev, &before) == 0 && S_ISCHR(before.st_mode))) return;
    mt_err err;
    CHECKF(mt_outfile_write(dev, "into the void\n", 14, &err), "%s: %s", dev, err.msg);
    CHECKF(stat(dev, &after) == 0 && S_ISCHR(after.st_mode) && after.st_rdev == before.st_rdev && after.st_ino == before.st_ino,
           "%s is no longer the device", dev);
    if (access("/dev/full", W_OK) != 0) {
        t_skip("no writable /dev/full to fail a write on");
        return;
    }
    CHECK(!mt_outfile_write("/dev/full", "x", 1, &err));
    CHECKF(strstr(err.msg, "/dev/full: write failed") && strstr(err.msg, strerror(ENOSPC)), "%s", err.msg);
    CHECK(stat("/dev/full", &after) == 0 && S_ISCHR(after.st_mode));
}

/* A Unix stream socket: connected to and written through. */
static int write_to(void *path, int out) {
    mt_err err;
    bool ok = mt_outfile_write(path, "over the socket\n", 16, &err);
    if (!ok) say(out, err.msg);
    return ok ? 0 : 1;
}

static void socket_written_through(void) {
    char dir[512], path[600];
    fresh_dir("socket", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/sock", dir);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof addr.sun_path) {
        t_skip("the temporary directory's path is too long for a socket");
        return;
    }
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (!CHECK(s >= 0 && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(s, 1) == 0)) return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(write_to(path, 2));
    int c = accept(s, NULL, NULL);
    char buf[64] = "";
    size_t n = 0;
    for (ssize_t got; c >= 0 && n + 1 < sizeof buf && (got = read(c, buf + n, sizeof buf - 1 - n)) > 0;) n += (size_t)got;
    buf[n] = 0;
    int st;
    waitpid(pid, &st, 0);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0 && strcmp(buf, "over the socket\n") == 0, "got '%s'", buf);
    struct stat sst;
    CHECK(lstat(path, &sst) == 0 && S_ISSOCK(sst.st_mode));
    if (c >= 0) close(c);
    close(s);
}

/* "-" is standard output (never closed); /dev/stdout, a descriptor's link
 * in /proc, is written through, appending to a file it names. */
static int write_dash(void *unused, int out) {
    (void)unused;
    if (dup2(out, 1) < 0) return 1;
    mt_err err;
    bool ok = mt_outfile_write("-", "first ", 6, &err) && mt_outfile_write("-", "second\n", 7, &err);
    if (!ok) fprintf(stderr, "%s\n", err.msg);
    return ok && fcntl(1, F_GETFD) != -1 ? 0 : 1; /* stdout still open */
}

static int write_dev_stdout(void *path, int out) {
    (void)out;
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0 || dup2(fd, 1) < 0) return 1;
    fputs("from stdio, ", stdout);
    fflush(stdout);
    mt_err err;
    bool ok = mt_outfile_write("/dev/stdout", "then through /dev/stdout\n", 25, &err);
    if (!ok) fprintf(stderr, "%s\n", err.msg);
    return ok ? 0 : 1;
}

static void standard_output(void) {
    char msg[256];
    CHECKF(in_child(write_dash, NULL, msg, sizeof msg) == 0 && strcmp(msg, "first second\n") == 0, "'%s'", msg);
    char dir[512], path[600];
    fresh_dir("stdout", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/log.txt", dir);
    put(path, "before; ");
    if (access("/dev/stdout", F_OK) != 0) {
        t_skip("no /dev/stdout here");
        return;
    }
    CHECK(in_child(write_dev_stdout, path, msg, sizeof msg) == 0);
    char *log = t_read_file(path, NULL);
    CHECKF(log && strcmp(log, "before; from stdio, then through /dev/stdout\n") == 0, "%s", log ? log : "(none)");
    free(log);
    CHECKF(entries(dir) == 1, "%d entries", entries(dir));
}

/* What cannot be written: one line naming the path and errno's reason, and nothing created. */
static void refusals_name_file_and_errno(void) {
    char dir[512], path[600], file[600];
    fresh_dir("refusals", dir, sizeof dir);
    snprintf(file, sizeof file, "%s/plain.txt", dir);
    put(file, "plain\n");
    static const struct { const char *rel; int e; } cases[] = {
        { "", EISDIR },                     /* the directory itself */
        { "/no-such-dir/out.txt", ENOENT }, /* a missing directory */
        { "/plain.txt/out.txt", ENOTDIR },  /* a file as a directory */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(path, sizeof path, "%s%s", dir, cases[i].rel);
        mt_err err;
        mt_outfile o;
        CHECK(!mt_outfile_open(&o, path, &err) && o.f == NULL);
        char want[700];
        snprintf(want, sizeof want, "%s: cannot write: %s", path, strerror(cases[i].e));
        CHECKF(strcmp(err.msg, want) == 0, "got '%s', want '%s'", err.msg, want);
    }
    mt_err err;
    CHECK(!mt_outfile_write("", "x", 1, &err) && strstr(err.msg, "empty file name"));
    CHECK(entries(dir) == 1 && holds(file, "plain\n"));
}

/* As an unprivileged user (as root: a child that becomes nobody): a
 * read-only directory and a read-only file are refused (EACCES) and left
 * alone; /dev/null works (a rename there once failed). */
static int unprivileged(void *dirp, int out) {
    const char *dir = dirp;
    if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)) {
        say(out, "SKIP cannot become nobody");
        return 3;
    }
    char path[700], want[800];
    mt_err err;
    const char *rel[2] = { "ro-dir/new.txt", "rw-dir/ro.txt" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, rel[i]);
        snprintf(want, sizeof want, "%s: cannot write: %s", path, strerror(EACCES));
        if (mt_outfile_write(path, "x", 1, &err) || strcmp(err.msg, want) != 0) {
            say(out, err.msg);
            return 1;
        }
    }
    if (!mt_outfile_write("/dev/null", "x", 1, &err)) {
        say(out, err.msg);
        return 1;
    }
    return 0;
}

static void unwritable_places(void) {
    char dir[512], ro_dir[600], rw_dir[600], ro_file[700];
    fresh_dir("unwritable", dir, sizeof dir);
    snprintf(ro_dir, sizeof ro_dir, "%s/ro-dir", dir);
    snprintf(rw_dir, sizeof rw_dir, "%s/rw-dir", dir);
    snprintf(ro_file, sizeof ro_file, "%s/ro.txt", rw_dir);
    mkdir(ro_dir, 0555);
    chmod(ro_dir, 0555);
    mkdir(rw_dir, 0777);
    chmod(rw_dir, 0777);
    put(ro_file, "read-only\n");
    chmod(ro_file, 0444);
    char msg[600];
    int rc = in_child(unprivileged, dir, msg, sizeof msg);
    if (rc == 3) {
        t_skip("%s", msg + 5);
        return;
    }
    CHECKF(rc == 0, "%s", msg);
    CHECK(entries(ro_dir) == 0 && entries(rw_dir) == 1 && holds(ro_file, "read-only\n"));
}

/* A write that fails (here: past a file-size limit, EFBIG) leaves the old
 * file intact and no temporary file, and says why. */
static int write_past_limit(void *path, int out) {
    struct rlimit lim = { 4096, 4096 };
    signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) return 3;
    size_t n = 1 << 20;
    char *data = calloc(1, n);
    mt_err err;
    bool ok = data && mt_outfile_write(path, data, n, &err);
    free(data);
    if (!ok) say(out, err.msg);
    return ok ? 1 : 0;
}

static void failed_write_keeps_old_file(void) {
    char dir[512], path[600], msg[600];
    fresh_dir("failed", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/keep.bin", dir);
    put(path, "the old contents\n");
    CHECKF(in_child(write_past_limit, path, msg, sizeof msg) == 0, "the write did not fail: %s", msg);
    CHECKF(strstr(msg, path) && strstr(msg, strerror(EFBIG)), "%s", msg);
    CHECK(holds(path, "the old contents\n"));
    CHECKF(entries(dir) == 1, "%d entries: a temporary file stayed", entries(dir));
}

/* ---- through the commands ------------------------------------------------------------ */

static void limit_file_size(void *arg) {
    struct rlimit lim = { 65536, 65536 };
    (void)arg;
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
}

/* synth: a model written over a file past a size limit fails with one line
 * (exit 1) and leaves the old file; into a device node it writes through. */
static void synth_failed_and_device(void) {
    char dir[512], path[600], buf[600];
    fresh_dir("synth", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    put(path, "an old model\n");
    const char *argv[] = { t_bin(), "synth", "-q", "-o", path, "--preset", "tiny", NULL };
    proc_result r = proc_run_with(argv, NULL, limit_file_size, NULL);
    CHECKF(r.status == 1 && proc_count_lines(r.err) == 1 && strstr(r.err, path) && strstr(r.err, strerror(EFBIG)), "%d: %s", r.status, r.err);
    proc_free(&r);
    CHECK(holds(path, "an old model\n"));
    CHECKF(entries(dir) == 1, "%d entries", entries(dir));
    const char *dev = null_device(buf, sizeof buf);
    r = run_moetop("synth", "-q", "-o", dev, "--preset", "tiny", NULL);
    struct stat st;
    CHECKF(r.status == 0 && stat(dev, &st) == 0 && S_ISCHR(st.st_mode), "%s: %s", dev, r.err);
    proc_free(&r);
}

/* A killed write (synth of a model big enough to take a while) leaves the
 * old file and nothing else: the new file has no name until its commit. */
static bool has_fd_into(pid_t pid, const char *dir, bool *deleted) {
    char fds[64], link[600], target[1024];
    snprintf(fds, sizeof fds, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fds);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        snprintf(link, sizeof link, "%s/%s", fds, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (strncmp(target, dir, strlen(dir)) == 0 && target[strlen(dir)] == '/') {
            found = true;
            *deleted = strstr(target, "(deleted)") != NULL;
        }
    }
    if (d) closedir(d);
    return found;
}

static void killed_write_leaves_nothing(void) {
    char made[512], dir[PATH_MAX], path[PATH_MAX + 16];
    if (!realpath(fresh_dir("killed", made, sizeof made), dir)) return; /* as /proc shows it */
    int probe = open(dir, O_TMPFILE | O_WRONLY, 0600);
    if (probe < 0 || access("/proc/self/fd", X_OK) != 0) {
        t_skip("no O_TMPFILE here (or no /proc): a killed write leaves its hidden temporary file");
        if (probe >= 0) close(probe);
        return;
    }
    close(probe);
    snprintf(path, sizeof path, "%s/model.gguf", dir);
    put(path, "an old model\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(t_bin(), t_bin(), "synth", "-q", "-o", path, "--layers", "8", "--d-model", "512", "--heads", "8", "--kv-heads", "2", "--head-dim",
              "64", "--experts", "16", "--k", "4", "--ff", "512", "--vocab-base", "256", (char *)NULL);
        _exit(127);
    }
    bool seen = false, deleted = false;
    struct timespec t0, now, tick = { 0, 1000000 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st = 0;
    for (;;) { /* until the writer holds its new file (or ends, or a minute passes) */
        if ((seen = has_fd_into(pid, dir, &deleted))) break;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            pid = -1;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 60) break;
        nanosleep(&tick, NULL);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    if (!CHECKF(seen, "the writer was not seen holding a new file (status %d)", st)) return;
    CHECKF(deleted, "the new file had a name while it was written");
    CHECK(holds(path, "an old model\n"));
    CHECKF(entries(dir) == 1, "%d entries", entries(dir));
}

/* A FIFO's read end, opened before the writer starts (so its open never
 * waits, and a writer that replaced the FIFO instead of writing into it
 * leaves this end empty), with room for what the commands write. */
static int fifo_reader(const char *fifo) {
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    if (fd >= 0 && fcntl(fd, F_SETPIPE_SZ, 1 << 20) < 0) { /* the default 64 KiB then */ }
    return fd;
}

/* Everything the (finished) writer left in the FIFO. */
static char *fifo_drain(int fd, size_t *n) {
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    *n = 0;
    for (ssize_t got; buf && fd >= 0 && *n < cap && (got = read(fd, buf + *n, cap - *n)) > 0;) *n += (size_t)got;
    if (buf) buf[*n] = 0;
    if (fd >= 0) close(fd);
    return buf;
}

/* The commands' -o: "-" is stdout; a FIFO gets the data; a link stays a
 * link; a directory is one line naming it and errno (exit 1, nothing written). */

static void command_outputs(void) {
    const char *gguf = fixture_path('a', ".gguf");
    if (!gguf) return;
    char dir[512], csv[600], fifo[600], link[600], target[600], frame[600], flink[600], data[600], prof[600];
    fresh_dir("commands", dir, sizeof dir);
    snprintf(csv, sizeof csv, "%s/routing.csv", dir);
    const char *prompt = "The quick brown fox.";
    proc_result plain = run_moetop("export", "-m", gguf, "--prompt", prompt, NULL);
    proc_result dash = run_moetop("export", "-m", gguf, "--prompt", prompt, "-o", "-", NULL);
    proc_result file = run_moetop("export", "-m", gguf, "--prompt", prompt, "-o", csv, NULL);
    unsigned long n = 0;
    char *written = t_read_file(csv, &n);
    CHECK(plain.status == 0 && dash.status == 0 && file.status == 0 && plain.out_len > 100);
    CHECK(dash.out_len == plain.out_len && memcmp(dash.out, plain.out, plain.out_len) == 0);
    CHECK(written && n == plain.out_len && memcmp(written, plain.out, n) == 0 && file.out_len == 0);
    free(written);
    proc_free(&dash);
    proc_free(&file);

    /* export into a FIFO, read by another process */
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    mkfifo(fifo, 0644);
    int rd = fifo_reader(fifo);
    proc_result f = run_moetop("export", "-m", gguf, "--prompt", prompt, "-o", fifo, NULL);
    size_t got;
    written = fifo_drain(rd, &got);
    CHECKF(f.status == 0 && written && got == plain.out_len && memcmp(written, plain.out, got) == 0, "%s: the reader got %zu bytes", f.err, got);
    struct stat sst;
    CHECK(lstat(fifo, &sst) == 0 && S_ISFIFO(sst.st_mode));
    free(written);
    proc_free(&f);
    proc_free(&plain);

    /* --svg, --export-frame and profile -o through links, which stay links */
    snprintf(target, sizeof target, "%s/chart.svg", dir);
    snprintf(link, sizeof link, "%s/chart-link.svg", dir);
    snprintf(frame, sizeof frame, "%s/frame.txt", dir);
    snprintf(flink, sizeof flink, "%s/frame-link.txt", dir);
    snprintf(data, sizeof data, "%s/docs.jsonl", dir);
    snprintf(prof, sizeof prof, "%s/profile-link.json", dir);
    CHECK(symlink("chart.svg", link) == 0 && symlink("frame.txt", flink) == 0 && symlink("profile.json", prof) == 0);
    put(data, "{\"text\": \"one two three\"}\n{\"text\": \"four five\"}\n");
    proc_result s = run_moetop("sweep", "-m", gguf, "--prompt", prompt, "--svg", link, NULL);
    proc_result h = run_moetop("-m", gguf, "--headless", "--size", "60x12", "--export-frame", flink, NULL);
    proc_result p = run_moetop("profile", "-m", gguf, "--data", data, "-o", prof, NULL);
    CHECKF(s.status == 0 && h.status == 0 && p.status == 0, "%s%s%s", s.err, h.err, p.err);
    char *chart = t_read_file(target, NULL), *text = t_read_file(frame, NULL);
    snprintf(target, sizeof target, "%s/profile.json", dir);
    char *profile = t_read_file(target, NULL);
    CHECK(chart && strstr(chart, "</svg>") && text && proc_count_lines(text) == 12 && profile && strstr(profile, "moetop-profile"));
    CHECK(lstat(link, &sst) == 0 && S_ISLNK(sst.st_mode) && lstat(flink, &sst) == 0 && S_ISLNK(sst.st_mode) && lstat(prof, &sst) == 0 &&
          S_ISLNK(sst.st_mode));
    free(chart);
    free(text);
    free(profile);
    proc_free(&s);
    proc_free(&h);
    proc_free(&p);

    /* --record into a FIFO (through a link named .cast): the reader gets the whole cast */
    snprintf(link, sizeof link, "%s/pipe.cast", dir);
    CHECK(symlink("pipe", link) == 0);
    rd = fifo_reader(fifo);
    proc_result rec = run_moetop("-m", gguf, "--headless", "--size", "60x12", "--record", link, NULL);
    char *c = fifo_drain(rd, &got);
    CHECKF(rec.status == 0 && c && strncmp(c, "{\"version\": 2", 13) == 0 && proc_count_lines(c) >= 2, "%s: %zu bytes", rec.err, got);
    free(c);
    proc_free(&rec);

    /* refusals: one line naming the file and errno, exit 1 */
    int before = entries(dir);
    proc_result m = run_moetop("merge-profiles", "-o", dir, target, NULL);
    char want[700];
    snprintf(want, sizeof want, "moetop: %s: cannot write: %s\n", dir, strerror(EISDIR));
    CHECKF(m.status == 1 && strcmp(m.err, want) == 0 && m.out_len == 0, "%d: %s", m.status, m.err);
    proc_free(&m);
    snprintf(target, sizeof target, "%s/no-such-dir/x.svg", dir);
    m = run_moetop("sweep", "-m", gguf, "--prompt", prompt, "--svg", target, NULL);
    snprintf(want, sizeof want, "moetop: %s: cannot write: %s\n", target, strerror(ENOENT));
    CHECKF(m.status == 1 && strcmp(m.err, want) == 0, "%d: %s", m.status, m.err);
    proc_free(&m);
    CHECKF(entries(dir) == before, "%d entries, %d before", entries(dir), before);

    /* a write that fails midway (a full device) says why, in one line, exit 1 */
    if (access("/dev/full", W_OK) != 0) {
        t_skip("no writable /dev/full to fail a write on");
        return;
    }
    snprintf(link, sizeof link, "%s/full.cast", dir);
    CHECK(symlink("/dev/full", link) == 0);
    proc_result full[2] = { run_moetop("export", "-m", gguf, "--prompts", "assets/prompts", "-o", "/dev/full", NULL),
                            run_moetop("-m", gguf, "--headless", "--size", "60x12", "--record", link, NULL) };
    const char *names[2] = { "/dev/full", link };
    for (int i = 0; i < 2; i++) {
        snprintf(want, sizeof want, "moetop: %s: write failed: %s\n", names[i], strerror(ENOSPC));
        CHECKF(full[i].status == 1 && strcmp(full[i].err, want) == 0, "%d: %s", full[i].status, full[i].err);
        proc_free(&full[i]);
    }
}

int main(void) {
    t_begin("io");
    RUN(regular_files_replaced_whole);
    RUN(links_followed_and_kept);
    RUN(fifo_written_through);
    RUN(devices_written_through);
    RUN(socket_written_through);
    RUN(standard_output);
    RUN(refusals_name_file_and_errno);
    RUN(unwritable_places);
    RUN(failed_write_keeps_old_file);
    RUN(synth_failed_and_device);
    RUN(killed_write_leaves_nothing);
    RUN(command_outputs);
    return t_end();
}
