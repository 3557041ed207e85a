/* End-to-end integrity for save and load: see integrity.h (what) and spec §12 (the format).
 * The hooks in save.c, save_job.c, load.c and load_data.c are one call each; everything
 * else lives here so that the walks stay readable. */
#include "integrity.h"

#include <string.h>

#include "h5util.h"
#include "jxv_integrity.h"
#include "load_internal.h"

/* ---- saving --------------------------------------------------------------------------- */

typedef struct SealFrame {
    hid_t gid;
    jxv_gsum sum;
} SealFrame;

struct JxSeal {
    SealFrame *frames;
    int depth, cap;
};

JxSeal *jx_seal_new(void)
{
    JxSeal *s = PyMem_Calloc(1, sizeof *s);
    if (!s)
        PyErr_NoMemory();
    return s;
}

void jx_seal_free(JxSeal *s)
{
    if (!s)
        return;
    PyMem_Free(s->frames);
    PyMem_Free(s);
}

int jx_seal_push(JxSeal *s, hid_t gid)
{
    if (!s)
        return 0;
    if (s->depth == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        SealFrame *f = PyMem_Realloc(s->frames, (size_t)cap * sizeof *f);
        if (!f) {
            PyErr_NoMemory();
            return -1;
        }
        s->frames = f;
        s->cap = cap;
    }
    SealFrame *f = &s->frames[s->depth++];
    f->gid = gid;
    jxv_gsum_init(&f->sum);
    return 0;
}

/* The frame of the innermost open group when it is loc, else NULL. */
static SealFrame *seal_frame(JxSeal *s, hid_t loc)
{
    if (!s || s->depth == 0 || s->frames[s->depth - 1].gid != loc)
        return NULL;
    return &s->frames[s->depth - 1];
}

int jx_seal_pop(JxSeal *s, hid_t gid)
{
    if (!s)
        return 0;
    /* after a failure below, frames of groups that were abandoned may still be open */
    while (s->depth > 0 && s->frames[s->depth - 1].gid != gid)
        s->depth--;
    if (s->depth == 0)
        return 0;
    SealFrame *f = &s->frames[--s->depth];
    char rec[JXV_RECORD_CAP];
    jxv_record_format(rec, jxv_gsum_value(&f->sum));
    return H5Oset_comment(gid, rec) < 0 ? -1 : 0;
}

/* NumPy's byte order with "native" made explicit, as jxv_attr_digest takes it. */
static char order_of(PyArray_Descr *d)
{
    if (d->byteorder != '=')
        return d->byteorder;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return '>';
#else
    return '<';
#endif
}

void jx_seal_text(JxSeal *s, hid_t loc, const char *name, const char *text, size_t len)
{
    SealFrame *f = seal_frame(s, loc);
    if (!f)
        return;
    size_t n = strlen(name);
    jxv_gsum_names(&f->sum, name, n + 1, 1);
    jxv_gsum_add(&f->sum, jxv_attr_digest(name, n, 'T', '|', len, 0, 0, NULL, text, len));
}

void jx_seal_data(JxSeal *s, hid_t loc, const char *name, PyArray_Descr *descr, hid_t type,
                  int nd, const npy_intp *dims, const void *data, size_t nbytes)
{
    SealFrame *f = seal_frame(s, loc);
    if (!f)
        return;
    hsize_t hd[H5S_MAX_RANK];
    for (int i = 0; i < nd && i < H5S_MAX_RANK; i++)
        hd[i] = (hsize_t)dims[i];
    size_t n = strlen(name);
    jxv_gsum_names(&f->sum, name, n + 1, 1);
    jxv_gsum_add(&f->sum, jxv_attr_digest(name, n, descr->kind, order_of(descr),
                                          (size_t)PyDataType_ELSIZE(descr),
                                          jxv__type_signature(type, descr->kind), nd, hd, data,
                                          data ? nbytes : 0));
}

int jx_seal_dataset_finish(int enabled, JxHashJob *job, hid_t dset, const void *data,
                           size_t nbytes, int ok)
{
    if (!enabled)
        return 0;
    uint32_t crc = jx_hash_finish(job, data, nbytes);
    if (!ok)
        return 0;
    char rec[JXV_RECORD_CAP];
    jxv_record_format(rec, crc);
    return H5Oset_comment(dset, rec) < 0 ? -1 : 0;
}

/* Runs of more than this many are not hashed piecewise (each costs two GF(2) powers); the
 * dataset is then recorded as unchecked. Shards split along leading axes give one run each. */
#define JX_MAX_RUNS ((uint64_t)1 << 16)

void jx_crc_pieces_init(JxCrcPieces *c, uint64_t total)
{
    memset(c, 0, sizeof *c);
    c->total = total;
}

/* One contiguous run of len bytes at byte offset off of the whole: its raw register (the
 * CRC without zlib's inversions: ~crc ^ the inversion's own contribution), moved to the end
 * by the bytes that follow it. XOR of these over runs tiling the whole is its raw CRC. */
static void add_run(JxCrcPieces *c, const unsigned char *p, uint64_t len, uint64_t off)
{
    uint32_t raw = ~jxv_crc32c(0, p, (size_t)len) ^ jxv_crc32c_shift(0xFFFFFFFFu, len);
    c->acc ^= jxv_crc32c_shift(raw, c->total - off - len);
    c->covered += len;
    c->runs++;
}

void jx_crc_pieces_add_box(JxCrcPieces *c, const void *data, int nd, const npy_intp *dims,
                           const hsize_t *start, const hsize_t *count, size_t itemsize)
{
    /* k: the outermost axis below which the box spans whole rows, so that a run is count[k]
     * rows of the trailing axes; the runs are indexed by the axes before k */
    int k = nd - 1;
    while (k > 0 && start[k] == 0 && count[k] == (hsize_t)dims[k])
        k--;
    uint64_t tail = itemsize, runs = 1;
    for (int i = nd - 1; i > k; i--)
        tail *= (uint64_t)dims[i];
    for (int i = 0; i < k; i++)
        runs *= count[i];
    if (nd == 0 || c->runs + runs > JX_MAX_RUNS) {
        if (nd == 0)
            add_run(c, data, itemsize, 0);
        else
            c->runs = JX_MAX_RUNS + 1; /* too many: the record says unchecked */
        return;
    }
    uint64_t len = count[k] * tail;
    hsize_t idx[H5S_MAX_RANK] = {0};
    const unsigned char *p = data;
    for (uint64_t r = 0; r < runs; r++, p += len) {
        uint64_t off = 0; /* element offset of the run in the whole array, C order */
        for (int i = 0; i < nd; i++)
            off = off * (uint64_t)dims[i] + (i < k ? start[i] + idx[i] : i == k ? start[k] : 0);
        add_run(c, p, len, off * itemsize);
        for (int i = k - 1; i >= 0 && ++idx[i] == count[i]; i--)
            idx[i] = 0; /* the next multi-index over the axes before k */
    }
}

int jx_seal_dataset_pieces(int enabled, hid_t dset, const JxCrcPieces *c)
{
    if (!enabled)
        return 0;
    if (c->runs > JX_MAX_RUNS || c->covered != c->total)
        return H5Oset_comment(dset, JXV_RECORD_NONE) < 0 ? -1 : 0;
    char rec[JXV_RECORD_CAP];
    jxv_record_format(rec, ~(jxv_crc32c_shift(0xFFFFFFFFu, c->total) ^ c->acc));
    return H5Oset_comment(dset, rec) < 0 ? -1 : 0;
}

/* ---- loading -------------------------------------------------------------------------- */

typedef struct VerifyFrame {
    hid_t gid;
    int checked; /* the group has a record: want is its checksum */
    uint32_t want;
    const JxNames *nl; /* the group's names, filled by the loader after jx_verify_enter */
    jxv_gsum sum;
} VerifyFrame;

struct JxVerify {
    VerifyFrame *frames;
    int depth, cap;
    int required; /* "/" has a record: so must every group and dataset of the tree */
    int armed;    /* the next attribute value read belongs to the innermost frame */
};

JxVerify *jx_verify_new(void)
{
    JxVerify *v = PyMem_Calloc(1, sizeof *v);
    if (!v)
        PyErr_NoMemory();
    return v;
}

void jx_verify_free(JxVerify *v)
{
    if (!v)
        return;
    PyMem_Free(v->frames);
    PyMem_Free(v);
}

/* The record of obj's comment (jxv__integrity_read_record, which also answers for objects
 * without a comment). */
static jxv_record_kind read_record(hid_t obj, uint32_t *value)
{
    jxv_record_kind k = jxv__integrity_read_record(obj, value);
    H5Eclear2(H5E_DEFAULT); /* no comment is not an error */
    return k;
}

/* JaxonFormatError for a record that is malformed, or missing where required; NULL. */
static PyObject *record_problem(Loader *L, const char *attr, jxv_record_kind kind,
                                const char *what)
{
    if (kind == JXV_RECORD_MALFORMED)
        return jx_ld_rule_error(L, NULL, attr, "checksum", "the %s's comment starts with "
                                JXV_RECORD_PREFIX " but holds no checksum (damaged?)", what);
    return jx_ld_rule_error(L, NULL, attr, "checksum", "the file records checksums (on /) but "
                            "this %s has none: the file was damaged or changed after it was "
                            "saved", what);
}

int jx_verify_enter(Loader *L, hid_t gid, const JxNames *nl)
{
    JxVerify *v = L->verify;
    if (!v)
        return 0;
    uint32_t want = 0;
    jxv_record_kind kind = read_record(gid, &want);
    if (kind == JXV_RECORD_MALFORMED || (kind == JXV_RECORD_ABSENT && v->required)) {
        record_problem(L, NULL, kind, "group");
        return -1;
    }
    if (v->depth == 0 && kind == JXV_RECORD_VALUE)
        v->required = 1; /* "/" carries one: our writer recorded every object */
    if (v->depth == v->cap) {
        int cap = v->cap ? v->cap * 2 : 16;
        VerifyFrame *f = PyMem_Realloc(v->frames, (size_t)cap * sizeof *f);
        if (!f) {
            PyErr_NoMemory();
            return -1;
        }
        v->frames = f;
        v->cap = cap;
    }
    VerifyFrame *f = &v->frames[v->depth++];
    f->gid = gid;
    f->checked = kind == JXV_RECORD_VALUE;
    f->want = want;
    f->nl = nl;
    jxv_gsum_init(&f->sum);
    v->armed = 0;
    return 0;
}

/* The whole group re-read by the checker's routine; 1 it matches, 0 not (message in
 * *msg, a new str), -1 error. */
static int group_matches(hid_t gid, PyObject **msg)
{
    jxv_report rep;
    jxv_report_init(&rep);
    *msg = NULL;
    int r = jxv__integrity_check_group(gid, "", 0, &rep);
    H5Eclear2(H5E_DEFAULT);
    if (r < 0 || rep.out_of_memory) {
        jxv_report_clear(&rep);
        PyErr_NoMemory();
        return -1;
    }
    int ok = rep.count == 0;
    if (!ok)
        *msg = PyUnicode_FromString(rep.items[0].message);
    jxv_report_clear(&rep);
    if (!ok && !*msg)
        return -1;
    return ok;
}

int jx_verify_leave(Loader *L, hid_t gid, int ok)
{
    JxVerify *v = L->verify;
    if (!v || v->depth == 0 || v->frames[v->depth - 1].gid != gid)
        return ok ? 0 : -1;
    VerifyFrame f = v->frames[--v->depth];
    v->armed = 0;
    if (!f.checked)
        return ok ? 0 : -1;
    if (ok) /* the names part, in the order the loader listed them */
        jxv_gsum_names(&f.sum, f.nl->buf, f.nl->len, f.nl->n);
    if (ok && f.sum.added == f.sum.count) {
        uint32_t got = jxv_gsum_value(&f.sum);
        if (got == f.want)
            return 0;
        jx_ld_rule_error(L, NULL, NULL, "checksum", "the group's attributes (names, types, "
                         "shapes and values) do not match its checksum (stored %08x, computed "
                         "%08x): the file was damaged or changed after it was saved",
                         (unsigned)f.want, (unsigned)got);
        return -1;
    }
    /* Not every child was read (a filter skipped some), or the load failed in this group:
     * re-read it whole. A failure the damage explains becomes a checksum error, with the
     * loader's error as its cause; one it does not stays as it is. */
    PyObject *et = NULL, *ev = NULL, *etb = NULL, *msg = NULL;
    if (!ok) {
        if (!PyErr_Occurred() || !PyErr_ExceptionMatches(PyExc_Exception) ||
            PyErr_ExceptionMatches(PyExc_MemoryError))
            return -1; /* KeyboardInterrupt and the like: not the file's doing */
        PyErr_Fetch(&et, &ev, &etb);
        PyErr_NormalizeException(&et, &ev, &etb);
    }
    int m = group_matches(gid, &msg);
    if (m != 0) {
        Py_XDECREF(msg);
        if (m < 0) { /* error while checking: the loader's own error, if any, wins */
            if (ev) {
                PyErr_Clear();
                PyErr_Restore(et, ev, etb);
            }
            return -1;
        }
        if (ev) {
            PyErr_Restore(et, ev, etb);
            return -1;
        }
        return 0;
    }
    jx_ld_rule_error(L, NULL, NULL, "checksum", "%U: the file was damaged or changed after it "
                     "was saved", msg);
    Py_XDECREF(msg);
    if (ev) {
        jx_ld_set_cause(ev, etb); /* steals ev */
        Py_XDECREF(et);
        Py_XDECREF(etb);
    }
    return -1;
}

void jx_verify_node(Loader *L, hid_t gid)
{
    JxVerify *v = L->verify;
    if (!v)
        return;
    v->armed = v->depth > 0 && v->frames[v->depth - 1].gid == gid &&
               v->frames[v->depth - 1].checked;
}

static void add_digest(Loader *L, const char *name, char kind, char order, size_t size,
                       uint32_t typesig, int rank, const hsize_t *dims, const void *data,
                       size_t nbytes)
{
    JxVerify *v = L->verify;
    v->armed = 0; /* one value per node; later reads (JAXON_DTYPE, children) are not it */
    VerifyFrame *f = &v->frames[v->depth - 1];
    jxv_gsum_add(&f->sum, jxv_attr_digest(name, strlen(name), kind, order, size, typesig, rank,
                                          dims, data, nbytes));
}

void jx_verify_attr(Loader *L, const char *name, PyArray_Descr *descr, hid_t ftype,
                    size_t size, int rank, const hsize_t *dims, const void *data, size_t nbytes)
{
    if (L->verify && L->verify->armed)
        add_digest(L, name, descr->kind, order_of(descr), size,
                   jxv__type_signature(ftype, descr->kind), rank, dims, data, nbytes);
}

void jx_verify_text(Loader *L, const char *name, const void *data, size_t size)
{
    if (L->verify && L->verify->armed)
        add_digest(L, name, 'T', '|', size, 0, 0, NULL, data, size);
}


/* exc("<where>: [checksum] <msg>") with the attributes rule and path, as the loader's rule
 * errors; steals msg (NULL: an error is set already). */
static void raise_checksum(PyObject *exc, PyObject *where, PyObject *msg)
{
    /* where is a str location, or the caller's file object for a file that does not open */
    PyObject *full = !msg ? NULL
                     : PyUnicode_Check(where) ? PyUnicode_FromFormat("%U: [checksum] %U", where, msg)
                                              : PyUnicode_FromFormat("%R: [checksum] %U", where, msg);
    PyObject *inst = full ? PyObject_CallOneArg(exc, full) : NULL;
    PyObject *rule = inst ? PyUnicode_FromString("checksum") : NULL;
    if (rule && PyObject_SetAttrString(inst, "rule", rule) == 0 &&
        PyObject_SetAttrString(inst, "path", PyUnicode_Check(where) ? where : Py_None) == 0)
        PyErr_SetObject(exc, inst);
    Py_XDECREF(msg);
    Py_XDECREF(full);
    Py_XDECREF(inst);
    Py_XDECREF(rule);
}

/* Pieces of a checked read: small enough that a 16 MiB array is read in four (three
 * hashes overlap the reads), large enough that HDF5's per-call cost stays below 1%. */
#define JX_VERIFY_PIECE ((hsize_t)4 << 20)
/* From this size on, a contiguous dataset is read and hashed in one pass when it can be
 * (jx_dataset_read_crc); below, HDF5's read and an inline hash cost about as much. */
#define JX_VERIFY_DIRECT_MIN ((size_t)1 << 20)
/* Below this, one read and an inline hash: a helper thread costs tens of microseconds. */
#define JX_VERIFY_PIPE_MIN ((size_t)8 << 20)

typedef struct ReadPipe {
    JxPipe *pipe;
    unsigned char *at; /* where the next piece starts */
} ReadPipe;

static int feed_piece(void *ctx, hsize_t bytes)
{
    ReadPipe *rp = ctx;
    jx_pipe_feed(rp->pipe, rp->at, (size_t)bytes);
    rp->at += bytes;
    return 0;
}

int jx_verify_read(Loader *L, hid_t did, const char *attr, hid_t memtype, void *buf,
                   size_t nbytes)
{
    JxVerify *v = L->verify;
    uint32_t want = 0, got;
    jxv_record_kind kind = v ? read_record(did, &want) : JXV_RECORD_ABSENT;
    if (!v || kind == JXV_RECORD_UNCHECKED || (kind == JXV_RECORD_ABSENT && !v->required))
        return nbytes ? jx_dataset_io(did, memtype, buf, nbytes, 0) : 0;
    if (kind != JXV_RECORD_VALUE) {
        record_problem(L, attr, kind, "dataset");
        return -1;
    }
    int direct = nbytes >= JX_VERIFY_DIRECT_MIN
                     ? jx_dataset_read_crc(did, memtype, buf, nbytes, &got) : 0;
    if (direct < 0)
        return -1;
    JxPipe *pipe = !direct && nbytes >= JX_VERIFY_PIPE_MIN ? jx_pipe_start() : NULL;
    if (direct) {
        /* read and hashed in one pass */
    } else if (pipe) {
        ReadPipe rp = {pipe, buf};
        int rc = jx_dataset_io_pieces(did, memtype, buf, nbytes, 0, JX_VERIFY_PIECE, feed_piece,
                                      &rp);
        got = jx_pipe_finish(pipe); /* also after a failed read: the helper reads buf */
        if (rc < 0)
            return -1;
    } else {
        if (nbytes && jx_dataset_io(did, memtype, buf, nbytes, 0) < 0)
            return -1;
        got = jx_crc_parallel(buf, nbytes);
    }
    if (got == want)
        return 0;
    jx_ld_rule_error(L, NULL, attr, "checksum", "the data of the node's dataset does not match "
                     "its checksum (stored %08x, computed %08x): the file was damaged or "
                     "changed after it was saved", (unsigned)want, (unsigned)got);
    return -1;
}

int jx_verify_dataset_standalone(PyObject *exc, hid_t did, PyObject *shown, const void *data,
                                 size_t nbytes)
{
    char h5path[512];
    uint32_t want = 0;
    jxv_record_kind kind = read_record(did, &want);
    const char *why = NULL;
    uint32_t got = 0;
    if (kind == JXV_RECORD_MALFORMED) {
        why = "the dataset's comment starts with " JXV_RECORD_PREFIX " but holds no checksum";
    } else if (kind == JXV_RECORD_VALUE) {
        got = jx_crc_parallel(data, nbytes);
        if (got != want)
            why = "the data does not match its checksum";
    }
    if (!why)
        return 0;
    /* where: the file and the dataset's HDF5 path */
    if (H5Iget_name(did, h5path, sizeof h5path) <= 0)
        snprintf(h5path, sizeof h5path, "?");
    PyObject *where = PyUnicode_FromFormat("%S, dataset %s", shown, h5path);
    if (!where)
        return -1;
    raise_checksum(exc, where, PyUnicode_FromFormat("%s (stored %08x, computed %08x): the file "
                                                    "was damaged or changed after it was saved",
                                                    why, (unsigned)want, (unsigned)got));
    Py_DECREF(where);
    return -1;
}

int jx_raise_checksum_failure(PyObject *exc, PyObject *where, const char *what)
{
    char desc[256];
    if (!jx_h5_checksum_failure(desc, sizeof desc))
        return 0;
    raise_checksum(exc, where, PyUnicode_FromFormat("%s: %s (HDF5 found damaged metadata: the "
                                                    "file was damaged after it was saved)",
                                                    what, desc));
    return 1;
}

typedef struct ChecksumWalk {
    char *desc;
    size_t cap;
    int found;
} ChecksumWalk;

static herr_t find_checksum(unsigned n, const H5E_error2_t *e, void *ud)
{
    ChecksumWalk *w = ud;
    (void)n;
    /* HDF5 has no error code of its own for a checksum mismatch (it reports a read error of
     * the metadata cache, as for an I/O failure): its message is the only mark */
    if (!w->found && e->desc && strstr(e->desc, "checksum")) {
        snprintf(w->desc, w->cap, "%s", e->desc);
        w->found = 1;
    }
    return 0;
}

int jx_h5_checksum_failure(char *desc, size_t cap)
{
    ChecksumWalk w = {desc, cap, 0};
    hid_t stack = H5Eget_current_stack(); /* taking the copy clears the current stack */
    if (stack < 0)
        return 0;
    H5Ewalk2(stack, H5E_WALK_UPWARD, find_checksum, &w);
    if (w.found) {
        H5Eclose_stack(stack);
        return 1;
    }
    H5Eset_current_stack(stack); /* back as it was (and the copy closed) */
    return 0;
}
