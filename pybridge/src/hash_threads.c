/* CRC-32C of large buffers on helper threads (integrity, spec §12).
 *
 * Hashing reads every byte once more, at memory speed: on a load from the page cache that
 * is a third more memory traffic than the copy itself. It does not have to be on the
 * caller's critical path:
 *   saving   the hash runs on a helper thread while the caller's thread writes the same
 *            buffer to HDF5 (jx_hash_start / jx_hash_finish): both only read it;
 *   loading  the bytes exist only once read: a dataset is read in pieces and each piece
 *            is hashed on a helper thread while the next one is read (jx_pipe_*); data
 *            that is already in memory is hashed split among threads (jx_crc_parallel),
 *            the parts combined with jxv_crc32c_combine.
 * Small buffers are hashed inline: a thread costs tens of microseconds. The helpers never
 * touch Python objects; the GIL is released while waiting for them. When a thread cannot be
 * started the work is done inline, so a failure here is never an error. */
#include "integrity.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "jxv_integrity.h"

/* Below this a buffer is hashed inline (about a tenth of a millisecond of work). */
#define JX_HASH_THREAD_MIN ((size_t)2 << 20)
/* Parts of a parallel hash are at least this large, and there are at most this many. */
#define JX_HASH_PART_MIN ((size_t)4 << 20)
#define JX_HASH_MAX_THREADS 4

typedef struct Part {
    const unsigned char *p;
    size_t n;
    uint32_t crc;
} Part;

static void *hash_part(void *arg)
{
    Part *part = arg;
    part->crc = jxv_crc32c(0, part->p, part->n);
    return NULL;
}

/* A helper thread that takes no signals (Python handles them on its main thread). */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > JX_HASH_MAX_THREADS ? JX_HASH_MAX_THREADS : (int)n;
}

/* Called without the GIL. */
static uint32_t crc_parallel_nogil(const void *data, size_t n)
{
    size_t k = (size_t)cpus();
    if (k > n / JX_HASH_PART_MIN)
        k = n / JX_HASH_PART_MIN;
    if (k < 2)
        return jxv_crc32c(0, data, n);
    Part parts[JX_HASH_MAX_THREADS];
    pthread_t threads[JX_HASH_MAX_THREADS];
    int started[JX_HASH_MAX_THREADS] = {0};
    size_t each = n / k;
    for (size_t i = 0; i < k; i++) {
        parts[i].p = (const unsigned char *)data + i * each;
        parts[i].n = i + 1 == k ? n - i * each : each;
        if (i > 0)
            started[i] = start_thread(&threads[i], hash_part, &parts[i]) == 0;
    }
    hash_part(&parts[0]);
    uint32_t crc = parts[0].crc;
    for (size_t i = 1; i < k; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        else
            hash_part(&parts[i]);
        crc = jxv_crc32c_combine(crc, parts[i].crc, parts[i].n);
    }
    return crc;
}

uint32_t jx_crc_parallel(const void *data, size_t n)
{
    if (n < JX_HASH_THREAD_MIN)
        return jxv_crc32c(0, data, n);
    uint32_t crc;
    Py_BEGIN_ALLOW_THREADS
    crc = crc_parallel_nogil(data, n);
    Py_END_ALLOW_THREADS
    return crc;
}

struct JxHashJob {
    Part part;
    pthread_t thread;
    int started;
};

JxHashJob *jx_hash_start(int enabled, const void *data, size_t n)
{
    if (!enabled)
        return NULL;
    JxHashJob *job = PyMem_RawCalloc(1, sizeof *job);
    if (!job)
        return NULL; /* jx_hash_finish then hashes inline */
    job->part.p = data;
    job->part.n = n;
    if (n >= JX_HASH_THREAD_MIN)
        job->started = start_thread(&job->thread, hash_part, &job->part) == 0;
    return job;
}

uint32_t jx_hash_finish(JxHashJob *job, const void *data, size_t n)
{
    if (!job)
        return jx_crc_parallel(data, n);
    uint32_t crc;
    if (job->started) {
        Py_BEGIN_ALLOW_THREADS
        pthread_join(job->thread, NULL);
        Py_END_ALLOW_THREADS
        crc = job->part.crc;
    } else {
        crc = jx_crc_parallel(data, n);
    }
    PyMem_RawFree(job);
    return crc;
}

/* ---- a pipeline: one helper hashing consecutive pieces while the caller reads on ------ */

struct JxPipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const unsigned char *p; /* the piece to hash, NULL when the helper is idle */
    size_t n;
    int quit;
    uint32_t crc; /* of every piece hashed so far, in order */
};

static void *pipe_main(void *arg)
{
    JxPipe *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->p && !h->quit)
            pthread_cond_wait(&h->cv, &h->mu);
        if (!h->p)
            break; /* quit, and nothing left */
        const unsigned char *p = h->p;
        size_t n = h->n;
        uint32_t c = h->crc;
        pthread_mutex_unlock(&h->mu);
        c = jxv_crc32c(c, p, n);
        pthread_mutex_lock(&h->mu);
        h->crc = c;
        h->p = NULL;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

JxPipe *jx_pipe_start(void)
{
    JxPipe *h = PyMem_RawCalloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (pthread_mutex_init(&h->mu, NULL) != 0)
        goto no_mutex;
    if (pthread_cond_init(&h->cv, NULL) != 0)
        goto no_cond;
    if (start_thread(&h->thread, pipe_main, h) != 0)
        goto no_thread;
    return h;
no_thread:
    pthread_cond_destroy(&h->cv);
no_cond:
    pthread_mutex_destroy(&h->mu);
no_mutex:
    PyMem_RawFree(h);
    return NULL;
}

/* Waits (without the GIL, which the helper never takes) until the helper is idle. */
static void pipe_wait_idle(JxPipe *h)
{
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&h->mu);
    while (h->p)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    Py_END_ALLOW_THREADS
}

void jx_pipe_feed(JxPipe *h, const void *p, size_t n)
{
    pipe_wait_idle(h);
    pthread_mutex_lock(&h->mu);
    h->p = p;
    h->n = n;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

uint32_t jx_pipe_finish(JxPipe *h)
{
    pipe_wait_idle(h);
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    Py_BEGIN_ALLOW_THREADS
    pthread_join(h->thread, NULL);
    Py_END_ALLOW_THREADS
    uint32_t crc = h->crc;
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    PyMem_RawFree(h);
    return crc;
}
