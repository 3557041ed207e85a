/* The bare C floor of the Jaxon layout: the same HDF5 calls a Jaxon writer and reader issue
 * for one file, with nothing else around them (no Python, no VOL connector).
 *
 *   jaxon-floor INPUT.h5 OUTPUT.h5 RUNS
 *
 * Untimed: INPUT (a file written by jaxon.save) is read into memory as a list of operations
 * in the writer's order (spec 3.11: a container's group and children before its attribute;
 * storage-hint attribute before its dataset). Timed, RUNS times: replay the operations with
 * the same property lists into a temporary file next to OUTPUT and replace OUTPUT with it
 * the way jaxon.save does (flush, close, fsync, rename, fsync of the directory: a save that
 * cannot lose the previous file is part of what jaxon.save promises, so the floor pays for it
 * too) (save), then open OUTPUT and read every attribute and dataset back the way a reader
 * does (H5Aiterate2 in creation order, open by name, read) (load). Prints one JSON line per
 * run: {"save": seconds, "load": seconds}. */
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum { OP_GROUP_BEGIN, OP_GROUP_END, OP_ATTR, OP_DATASET } OpKind;

typedef struct Op {
    OpKind kind;
    char *name;
    hid_t type;  /* attributes and datasets */
    hid_t space;
    void *data;
    size_t nbytes;
    int tracked; /* groups: creation order tracked */
} Op;

typedef struct Ops {
    Op *v;
    size_t n, cap;
} Ops;

static void die(const char *what)
{
    fprintf(stderr, "jaxon-floor: %s\n", what);
    exit(2);
}

static Op *push(Ops *ops)
{
    if (ops->n == ops->cap) {
        ops->cap = ops->cap ? ops->cap * 2 : 1024;
        ops->v = realloc(ops->v, ops->cap * sizeof(Op));
        if (!ops->v)
            die("out of memory");
    }
    memset(&ops->v[ops->n], 0, sizeof(Op));
    return &ops->v[ops->n++];
}

static char *dup_text(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die("out of memory");
    return d;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- recording (untimed) ---------------------------------------------------------------- */

typedef struct Rec {
    hid_t loc;
    Ops *ops;
} Rec;

static void record_group(hid_t g, Ops *ops);

static int is_group(hid_t loc, const char *name)
{
    H5O_info2_t info;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return 0;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return 0;
    return info.type == H5O_TYPE_GROUP ? 1 : info.type == H5O_TYPE_DATASET ? 2 : 0;
}

static void record_data(hid_t obj, int is_attr, Op *op)
{
    op->type = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    op->space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hssize_t n = H5Sget_simple_extent_npoints(op->space);
    op->nbytes = (size_t)n * H5Tget_size(op->type);
    op->data = malloc(op->nbytes ? op->nbytes : 1);
    if (!op->data)
        die("out of memory");
    if (op->nbytes && (is_attr ? H5Aread(obj, op->type, op->data)
                               : H5Dread(obj, op->type, H5S_ALL, H5S_ALL, H5P_DEFAULT, op->data)) < 0)
        die("cannot read input data");
}

/* slot of an attribute name: "x:typehint" -> "x" unless the name ends with a quote */
static char *slot_of(const char *name)
{
    char *s = dup_text(name);
    size_t n = strlen(s);
    if (n && s[n - 1] == '\'')
        return s;
    char *colon = strrchr(s, ':');
    if (colon)
        *colon = '\0';
    return s;
}

static herr_t record_attr(hid_t loc, const char *name, const H5A_info_t *info, void *ud)
{
    Rec *r = ud;
    char *slot = slot_of(name);
    int child = strcmp(slot, name) == 0 ? is_group(r->loc, slot) : 0;
    if (child == 1) {
        hid_t g = H5Gopen2(r->loc, slot, H5P_DEFAULT);
        if (g < 0)
            die("cannot open child group");
        Op *b = push(r->ops);
        b->kind = OP_GROUP_BEGIN;
        b->name = dup_text(slot);
        hid_t gcpl = H5Gget_create_plist(g);
        unsigned flags = 0;
        H5Pget_attr_creation_order(gcpl, &flags);
        H5Pclose(gcpl);
        b->tracked = (flags & H5P_CRT_ORDER_TRACKED) != 0;
        record_group(g, r->ops);
        push(r->ops)->kind = OP_GROUP_END;
        H5Gclose(g);
    }
    Op *op = push(r->ops);
    op->kind = OP_ATTR;
    op->name = dup_text(name);
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        die("cannot open attribute");
    record_data(a, 1, op);
    H5Aclose(a);
    if (child == 2) {
        hid_t d = H5Dopen2(r->loc, slot, H5P_DEFAULT);
        Op *dop = push(r->ops);
        dop->kind = OP_DATASET;
        dop->name = dup_text(slot);
        record_data(d, 0, dop);
        H5Dclose(d);
    }
    free(slot);
    (void)info;
    return 0;
}

static void record_group(hid_t g, Ops *ops)
{
    Rec r = {g, ops};
    hsize_t idx = 0;
    hid_t gcpl = H5Gget_create_plist(g);
    unsigned flags = 0;
    H5Pget_attr_creation_order(gcpl, &flags);
    H5Pclose(gcpl);
    H5_index_t order = (flags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    if (H5Aiterate2(g, order, H5_ITER_INC, &idx, record_attr, &r) < 0)
        die("cannot iterate attributes");
}

/* ---- replay (timed) ---------------------------------------------------------------------- */

static void set_order(hid_t p)
{
    H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_obj_track_times(p, 0);
}

static void fsync_path(const char *path, int directory)
{
    int fd = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0 || fsync(fd) < 0)
        die("cannot fsync the output");
    close(fd);
}

/* The durable replace of jaxon.save (pybridge/src/files.c): temp file, fsync, rename, fsync
 * of the directory. */
static void replace_durably(const char *tmp, const char *out)
{
    fsync_path(tmp, 0);
    if (rename(tmp, out) < 0)
        die("cannot rename the output");
    const char *slash = strrchr(out, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1, slash ? out : ".");
    fsync_path(dir[0] ? dir : "/", 1);
}

static void replay(const Ops *ops, const char *out)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    hid_t gcpl_plain = H5Pcreate(H5P_GROUP_CREATE), lcpl = H5Pcreate(H5P_LINK_CREATE);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    set_order(fcpl);
    set_order(gcpl);
    H5Pset_obj_track_times(gcpl_plain, 0);
    H5Pset_obj_track_times(dcpl, 0);
    H5Pset_create_intermediate_group(lcpl, 1);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST); /* as jaxon.save */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.floor-tmp", out);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (f < 0)
        die("cannot create output");
    hid_t stack[4096];
    int depth = 0;
    stack[0] = H5Gopen2(f, "/", H5P_DEFAULT);
    for (size_t i = 0; i < ops->n; i++) {
        const Op *op = &ops->v[i];
        hid_t loc = stack[depth];
        switch (op->kind) {
        case OP_GROUP_BEGIN:
            if (depth + 1 >= 4096)
                die("too deep");
            stack[++depth] = H5Gcreate2(loc, op->name, lcpl, op->tracked ? gcpl : gcpl_plain,
                                        H5P_DEFAULT);
            if (stack[depth] < 0)
                die("cannot create group");
            break;
        case OP_GROUP_END:
            H5Gclose(stack[depth--]);
            break;
        case OP_ATTR: {
            hid_t a = H5Acreate2(loc, op->name, op->type, op->space, H5P_DEFAULT, H5P_DEFAULT);
            if (a < 0 || (op->nbytes && H5Awrite(a, op->type, op->data) < 0))
                die("cannot write attribute");
            H5Aclose(a);
            break;
        }
        case OP_DATASET: {
            hid_t d = H5Dcreate2(loc, op->name, op->type, op->space, lcpl, dcpl, H5P_DEFAULT);
            if (d < 0 || (op->nbytes &&
                          H5Dwrite(d, op->type, H5S_ALL, H5S_ALL, H5P_DEFAULT, op->data) < 0))
                die("cannot write dataset");
            H5Dclose(d);
            break;
        }
        }
    }
    H5Gclose(stack[0]);
    H5Fflush(f, H5F_SCOPE_GLOBAL); /* as jaxon.save */
    if (H5Fclose(f) < 0)
        die("cannot close the output");
    replace_durably(tmp, out);
    H5Pclose(fcpl);
    H5Pclose(gcpl);
    H5Pclose(gcpl_plain);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    H5Pclose(fapl);
}

/* ---- read back (timed) -------------------------------------------------------------------- */

typedef struct Reader {
    hid_t loc;
    char *buf;
    size_t cap;
    size_t total;
} Reader;

static void read_group(hid_t g, Reader *r);

static herr_t read_attr(hid_t loc, const char *name, const H5A_info_t *info, void *ud)
{
    Reader *r = ud;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    size_t n = (size_t)H5Sget_simple_extent_npoints(s) * H5Tget_size(t);
    if (n > r->cap) {
        r->buf = realloc(r->buf, n);
        r->cap = n;
    }
    if (n && H5Aread(a, t, r->buf) < 0)
        die("cannot read attribute");
    r->total += n;
    H5Sclose(s);
    H5Aclose(a);
    char *slot = slot_of(name);
    /* the value text says whether a group (container tag) or a dataset (data typehint)
     * holds the node's contents, as a reader decides */
    int kind = 0;
    if (strcmp(slot, name) == 0 && n > 0 && H5Tget_class(t) == H5T_STRING) {
        static const char *const groups[] = {"dict", "list", "tuple", "set", "frozenset"};
        static const char *const data[] = {"numpy.ndarray", "jax.Array", "bytes", "bytearray",
                                           "memoryview", "!"};
        for (size_t i = 0; i < 5 && !kind; i++)
            if (n >= strlen(groups[i]) && !strncmp(r->buf, groups[i], strlen(groups[i])))
                kind = 1;
        for (size_t i = 0; i < 6 && !kind; i++)
            if (n >= strlen(data[i]) && !strncmp(r->buf, data[i], strlen(data[i])))
                kind = 2;
    }
    if (kind == 1) {
        hid_t g = H5Gopen2(loc, slot, H5P_DEFAULT);
        if (g < 0)
            die("cannot open group");
        read_group(g, r);
        H5Gclose(g);
    } else if (kind == 2) {
        hid_t d = H5Dopen2(loc, slot, H5P_DEFAULT);
        hid_t dt = H5Dget_type(d), ds = H5Dget_space(d);
        size_t dn = (size_t)H5Sget_simple_extent_npoints(ds) * H5Tget_size(dt);
        char *db = malloc(dn ? dn : 1);
        if (dn && H5Dread(d, dt, H5S_ALL, H5S_ALL, H5P_DEFAULT, db) < 0)
            die("cannot read dataset");
        r->total += dn;
        free(db);
        H5Sclose(ds);
        H5Tclose(dt);
        H5Dclose(d);
    }
    H5Tclose(t);
    free(slot);
    (void)info;
    return 0;
}

static void read_group(hid_t g, Reader *r)
{
    hsize_t idx = 0;
    hid_t gcpl = H5Gget_create_plist(g);
    unsigned flags = 0;
    H5Pget_attr_creation_order(gcpl, &flags);
    H5Pclose(gcpl);
    H5_index_t order = (flags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
    if (H5Aiterate2(g, order, H5_ITER_INC, &idx, read_attr, r) < 0)
        die("cannot iterate");
}

static void read_back(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        die("cannot open output");
    hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
    Reader r = {root, NULL, 0, 0};
    read_group(root, &r);
    free(r.buf);
    H5Gclose(root);
    H5Fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 4)
        die("usage: jaxon-floor INPUT.h5 OUTPUT.h5 RUNS");
    int runs = atoi(argv[3]);
    hid_t in = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in < 0)
        die("cannot open input");
    Ops ops = {0};
    hid_t root = H5Gopen2(in, "/", H5P_DEFAULT);
    record_group(root, &ops);
    H5Gclose(root);
    H5Fclose(in);
    for (int i = 0; i < runs; i++) {
        double t0 = now();
        replay(&ops, argv[2]);
        double t1 = now();
        read_back(argv[2]);
        double t2 = now();
        printf("{\"save\": %.6f, \"load\": %.6f}\n", t1 - t0, t2 - t1);
        fflush(stdout);
    }
    for (size_t i = 0; i < ops.n; i++) {
        free(ops.v[i].name);
        free(ops.v[i].data);
        if (ops.v[i].kind == OP_ATTR || ops.v[i].kind == OP_DATASET) {
            H5Tclose(ops.v[i].type);
            H5Sclose(ops.v[i].space);
        }
    }
    free(ops.v);
    return 0;
}
