/* The durable replace behind save(path): a save never damages the previous file, and
 * temporary files do not pile up.
 *
 * The new file is written under a temporary name in the target's directory, fsynced, and
 * renamed over the target. A failed save removes it. A process killed mid-save cannot, so
 * the name carries the host and the process id, and every save to a target first removes
 * the temporaries of that target whose process, on this host, has died. (An unnamed
 * O_TMPFILE file linked in at the end would leave nothing at all, but HDF5 resolves the
 * real path of the name it creates, and /proc/self/fd/N of an unnamed file has none.)
 * A target that is a symbolic link stays a link: the file it points to is replaced. */
#include "ext.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replace.h"

/* Follows the chain of symbolic links that path itself is (a missing final file is fine:
 * a dangling link is created where it points). New PyMem string, or NULL with errno. */
static char *resolve_target(const char *path)
{
    size_t n = strlen(path);
    char *cur = PyMem_Malloc(n + 1);
    if (!cur)
        return NULL;
    memcpy(cur, path, n + 1);
    for (int hops = 0; hops < 40; hops++) {
        struct stat sb;
        char link[PATH_MAX];
        if (lstat(cur, &sb) < 0 || !S_ISLNK(sb.st_mode))
            return cur;
        ssize_t len = readlink(cur, link, sizeof link - 1);
        if (len < 0) {
            PyMem_Free(cur);
            return NULL;
        }
        link[len] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dirlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = PyMem_Malloc(dirlen + (size_t)len + 1);
        if (!next) {
            PyMem_Free(cur);
            return NULL;
        }
        memcpy(next, cur, dirlen);
        memcpy(next + dirlen, link, (size_t)len + 1);
        PyMem_Free(cur);
        cur = next;
    }
    PyMem_Free(cur);
    errno = ELOOP;
    return NULL;
}

static int all_digits(const char *p, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Removes "<prefix><host>-<pid>-<n>" (and the older "<prefix><pid>-<n>") in dir whose
 * process, on this host, no longer exists. A name whose process may be alive is left:
 * pids are reused, and a live writer's file must never be taken from under it. */
static void remove_stale_temporaries(const char *dir, const char *prefix, const char *host)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t plen = strlen(prefix), hlen = strlen(host);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        const char *rest = e->d_name + plen, *end = rest + strlen(rest);
        const char *dash_n = strrchr(rest, '-');
        if (!dash_n || !all_digits(dash_n + 1, (size_t)(end - dash_n - 1)))
            continue;
        const char *dash_pid = dash_n;
        while (dash_pid > rest && dash_pid[-1] != '-')
            dash_pid--;
        if (!all_digits(dash_pid, (size_t)(dash_n - dash_pid)) || dash_n - dash_pid > 9)
            continue;
        if (dash_pid > rest) { /* "<host>-": it must be ours */
            size_t this_hlen = (size_t)(dash_pid - 1 - rest);
            if (this_hlen != hlen || memcmp(rest, host, hlen) != 0)
                continue;
        }
        pid_t pid = (pid_t)atol(dash_pid);
        if (pid <= 0 || pid == getpid())
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

void jx_replace_init(JxReplace *r)
{
    memset(r, 0, sizeof *r);
}

int jx_replace_begin(JxReplace *r, JxState *st, const char *path)
{
    char host[256] = "";
    r->target = resolve_target(path);
    if (!r->target) {
        if (errno == ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        return -1;
    }
    const char *slash = strrchr(r->target, '/');
    const char *base = slash ? slash + 1 : r->target;
    if (*base == '\0') {
        PyErr_Format(PyExc_IsADirectoryError, "cannot save to a directory: %s", path);
        return -1;
    }
    size_t dirlen = slash ? (size_t)(slash - r->target) : 0;
    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        strcpy(host, "localhost");
    for (char *h = host; *h; h++) /* a name part: no separators or dots from odd hostnames */
        if (*h == '/' || *h == '-' || *h == '.')
            *h = '_';
    size_t cap = strlen(r->target) + strlen(host) + 96;
    char *prefix = PyMem_Malloc(cap);
    r->dir = PyMem_Malloc(dirlen + 2);
    r->named = PyMem_Malloc(cap);
    if (!prefix || !r->dir || !r->named) {
        PyMem_Free(prefix);
        PyErr_NoMemory();
        return -1;
    }
    if (dirlen)
        memcpy(r->dir, r->target, dirlen);
    else if (slash) /* "/name" */
        r->dir[dirlen++] = '/';
    else
        r->dir[dirlen++] = '.';
    r->dir[dirlen] = '\0';
    snprintf(prefix, cap, ".%s.jaxon-tmp-", base);
    remove_stale_temporaries(r->dir, prefix, host);
    snprintf(r->named, cap, "%s/%s%s-%ld-%lu", r->dir, prefix, host, (long)getpid(),
             ++st->tmp_counter);
    PyMem_Free(prefix);
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int jx_replace_commit(JxReplace *r)
{
    int rc;
    const char *named = r->named;
    Py_BEGIN_ALLOW_THREADS
    int f = open(named, O_RDONLY | O_CLOEXEC);
    rc = f < 0 ? -1 : fsync(f);
    if (f >= 0)
        close(f);
    Py_END_ALLOW_THREADS
    if (rc < 0)
        goto os_error;
    /* Ctrl-C during the write or the fsync: the target keeps its previous file */
    if (PyErr_CheckSignals() < 0)
        return -1;
    if (rename(r->named, r->target) < 0)
        goto os_error;
    r->committed = 1;
    (void)fsync_dir(r->dir); /* the rename itself durable; the data already is */
    return 0;
os_error:
    PyErr_SetFromErrnoWithFilename(PyExc_OSError, r->target);
    return -1;
}

void jx_replace_finish(JxReplace *r)
{
    if (!r->committed && r->named)
        (void)unlink(r->named); /* may not exist: nothing to undo then */
    PyMem_Free(r->target);
    PyMem_Free(r->dir);
    PyMem_Free(r->named);
    jx_replace_init(r);
}
