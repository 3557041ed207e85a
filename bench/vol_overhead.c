/* bench_vol_overhead: what the jaxon VOL connector costs compared with native HDF5.
 *
 * Workloads (each one written, then read back, through every variant):
 *   meta-jaxon  a valid Jaxon v1.2.0 file: a root dict of lists, each list a group of 50 short
 *               scalar string attributes (text atoms 'sNNN' and int(NNN)), N attributes in
 *               all, written in the Python writers' order (children, container, root last)
 *               with creation order tracked. The read opens the file (strict: the whole-file
 *               check runs here), visits every list with H5Aiterate2 and reads every value.
 *   meta-plain  the same shape with non-Jaxon names (groups g00000, attributes a00): the
 *               validator sees a plain HDF5 file.
 *   bulk        one contiguous float64 dataset of B MiB, written and read with one call.
 * Variants: native (H5VL_NATIVE), jaxon validate=off, jaxon validate=strict; "checker" is
 * the whole-file check alone (native open + jxv_check_file_ex), for the meta-jaxon read.
 *
 * Every run writes fresh files. Within a run the variants are timed back to back (the start
 * rotates from run to run), and each variant's time is divided by the native time of the
 * same run: the table shows the medians of those run-by-run ratios, and of the times.
 *
 *   bench_vol_overhead [--quick] [--runs N] [--attrs N] [--bulk-mib N] [--dir DIR]
 *                      [--plugin-dir DIR] [--only meta|bulk]
 * Defaults: 7 runs, 50,000 attributes, 1024 MiB, DIR = /dev/shm if it exists, else ".".
 * --quick: 3 runs, 2,000 attributes, 16 MiB (a smoke test; the numbers mean little).
 * --profile native|off|strict|checker: no timing; one meta-jaxon write and read with that
 * variant only (checker: native write, then the checker alone), for callgrind/perf, e.g.
 *   valgrind --tool=callgrind --toggle-collect=meta_write bench_vol_overhead --profile strict */
#define _POSIX_C_SOURCE 200809L

#include <hdf5.h>
#include <H5PLpublic.h>

#include "jxv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef JAXON_PLUGIN_DIR
#define JAXON_PLUGIN_DIR ""
#endif

#define LIST_LEN 50
#define MAX_RUNS 64

/* ---- options and helpers ---------------------------------------------------------------- */

typedef struct options {
    int runs;
    long attrs;
    long bulk_mib;
    const char *dir;
    const char *plugin_dir;
    int do_meta, do_bulk;
    int profile; /* --profile VARIANT: one meta-jaxon write+read with that variant, or -1 */
} options;

#define DIE(...)                                                                               \
    do {                                                                                       \
        fprintf(stderr, "bench_vol_overhead: " __VA_ARGS__);                                   \
        fputc('\n', stderr);                                                                   \
        H5Eprint2(H5E_DEFAULT, stderr);                                                        \
        exit(2);                                                                               \
    } while (0)
#define CHECK(call)                                                                            \
    do {                                                                                       \
        if ((call) < 0)                                                                        \
            DIE("%s failed (%s:%d)", #call, __FILE__, __LINE__);                               \
    } while (0)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_RUNS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* ---- variants --------------------------------------------------------------------------- */

enum { V_NATIVE, V_OFF, V_STRICT, V_CHECKER, NVARIANTS };
static const char *const variant_names[NVARIANTS] = {"native", "jaxon validate=off",
                                                     "jaxon validate=strict", "checker alone"};

static hid_t jaxon_id = H5I_INVALID_HID;

static hid_t make_fapl(int v)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(fapl);
    CHECK(H5Pset_fapl_sec2(fapl));
    if (v == V_NATIVE || v == V_CHECKER) {
        CHECK(H5Pset_vol(fapl, H5VL_NATIVE, NULL));
        return fapl;
    }
    const char *s = v == V_OFF ? "validate=off;under_vol=0;under_info={}"
                               : "validate=strict;under_vol=0;under_info={}";
    void *info = NULL;
    CHECK(H5VLconnector_str_to_info(s, jaxon_id, &info));
    CHECK(H5Pset_vol(fapl, jaxon_id, info));
    CHECK(H5VLfree_connector_info(jaxon_id, info));
    return fapl;
}

/* ---- metadata workloads ----------------------------------------------------------------- */

typedef struct meta_ctx {
    hid_t fcpl, gcpl, lcpl, scalar;
    hid_t str_types[16]; /* fixed-length UTF-8 NULLPAD strings by length */
} meta_ctx;

static void meta_ctx_open(meta_ctx *m)
{
    m->fcpl = H5Pcreate(H5P_FILE_CREATE);
    m->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    m->lcpl = H5Pcreate(H5P_LINK_CREATE);
    CHECK(m->fcpl);
    CHECK(m->gcpl);
    CHECK(m->lcpl);
    unsigned crt = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
    CHECK(H5Pset_link_creation_order(m->fcpl, crt));
    CHECK(H5Pset_attr_creation_order(m->fcpl, crt));
    CHECK(H5Pset_link_creation_order(m->gcpl, crt));
    CHECK(H5Pset_attr_creation_order(m->gcpl, crt));
    CHECK(H5Pset_char_encoding(m->lcpl, H5T_CSET_UTF8));
    m->scalar = H5Screate(H5S_SCALAR);
    CHECK(m->scalar);
    for (size_t n = 0; n < 16; n++) {
        m->str_types[n] = H5I_INVALID_HID;
        if (n == 0)
            continue;
        hid_t t = H5Tcopy(H5T_C_S1);
        CHECK(t);
        CHECK(H5Tset_size(t, n));
        CHECK(H5Tset_strpad(t, H5T_STR_NULLPAD));
        CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
        m->str_types[n] = t;
    }
}

static void meta_ctx_close(meta_ctx *m)
{
    H5Pclose(m->fcpl);
    H5Pclose(m->gcpl);
    H5Pclose(m->lcpl);
    H5Sclose(m->scalar);
    for (size_t n = 1; n < 16; n++)
        H5Tclose(m->str_types[n]);
}

static void text_attr(const meta_ctx *m, hid_t loc, const char *name, const char *text)
{
    size_t n = strlen(text);
    if (n == 0 || n >= 16)
        DIE("text attribute of unsupported length %zu", n);
    hid_t a = H5Acreate2(loc, name, m->str_types[n], m->scalar, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a);
    CHECK(H5Awrite(a, m->str_types[n], text));
    CHECK(H5Aclose(a));
}

/* Writes the metadata file: nlists lists of LIST_LEN items. */
static void meta_write(const meta_ctx *m, const char *path, hid_t fapl, long nlists, int jaxon)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, m->fcpl, fapl);
    CHECK(f);
    hid_t root = jaxon ? H5Gcreate2(f, "JAXON_ROOT", m->lcpl, m->gcpl, H5P_DEFAULT) : f;
    CHECK(root);
    char gname[32], aname[32], text[32];
    for (long i = 0; i < nlists; i++) {
        snprintf(gname, sizeof gname, jaxon ? "'k%05ld'" : "g%05ld", i);
        hid_t g = H5Gcreate2(root, gname, m->lcpl, m->gcpl, H5P_DEFAULT);
        CHECK(g);
        for (int j = 0; j < LIST_LEN; j++) {
            snprintf(aname, sizeof aname, jaxon ? "%d" : "a%02d", j);
            if (j % 2)
                snprintf(text, sizeof text, "int(%d)", (int)((i * LIST_LEN + j) % 1000));
            else
                snprintf(text, sizeof text, "'s%03d'", (int)((i + j) % 1000));
            text_attr(m, g, aname, text);
        }
        CHECK(H5Gclose(g));
        if (jaxon)
            text_attr(m, root, gname, "list"); /* the container after its children */
    }
    if (jaxon) {
        CHECK(H5Gclose(root));
        text_attr(m, f, "JAXON_ROOT", "dict"); /* the root attribute last */
    }
    CHECK(H5Fclose(f));
}

typedef struct read_ctx {
    long values;
    size_t bytes;
    char buf[256];
} read_ctx;

static herr_t read_attr_cb(hid_t loc, const char *name, const H5A_info_t *ainfo, void *ud)
{
    read_ctx *r = ud;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t t = H5Aget_type(a);
    size_t size = H5Tget_size(t);
    herr_t rc = size < sizeof r->buf ? H5Aread(a, t, r->buf) : -1;
    H5Tclose(t);
    H5Aclose(a);
    r->values++;
    r->bytes += size;
    return rc < 0 ? -1 : 0;
}

typedef struct list_ctx {
    read_ctx *r;
    int jaxon;
} list_ctx;

static herr_t read_list_cb(hid_t loc, const char *name, const H5L_info2_t *linfo, void *ud)
{
    list_ctx *lc = ud;
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        return -1;
    hsize_t idx = 0;
    herr_t rc = H5Aiterate2(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, read_attr_cb, lc->r);
    H5Gclose(g);
    if (rc < 0)
        return -1;
    if (lc->jaxon) { /* the container's own attribute, as a loader reads it */
        hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
        if (a < 0)
            return -1;
        hid_t t = H5Aget_type(a);
        rc = H5Aread(a, t, lc->r->buf);
        H5Tclose(t);
        H5Aclose(a);
    }
    return rc < 0 ? -1 : 0;
}

/* Reads the whole metadata file back; returns the number of values read. */
static long meta_read(const char *path, hid_t fapl, int jaxon)
{
    read_ctx r = {0, 0, {0}};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    CHECK(f);
    hid_t root = jaxon ? H5Gopen2(f, "JAXON_ROOT", H5P_DEFAULT) : f;
    CHECK(root);
    list_ctx lc = {&r, jaxon};
    hsize_t idx = 0;
    CHECK(H5Literate2(root, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, read_list_cb, &lc));
    if (jaxon)
        CHECK(H5Gclose(root));
    CHECK(H5Fclose(f));
    return r.values;
}

/* The whole-file check alone, on a native id. Returns the number of Jaxon nodes. */
static long check_alone(const char *path, hid_t native_fapl)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, native_fapl);
    CHECK(f);
    jxv_report rep;
    jxv_check_stats st;
    jxv_report_init(&rep);
    if (jxv_check_file_ex(f, &rep, &st) < 0)
        DIE("the checker failed on %s", path);
    if (rep.count > 0)
        DIE("the checker found %zu violation(s) in %s, first at %s (rule %s): %s", rep.count,
            path, rep.items[0].path, jxv_rule_name(rep.items[0].rule), rep.items[0].message);
    jxv_report_clear(&rep);
    CHECK(H5Fclose(f));
    return (long)st.nodes;
}

/* ---- bulk workload ---------------------------------------------------------------------- */

static void bulk_write(const char *path, hid_t fapl, const double *buf, hsize_t n)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CHECK(f);
    hid_t s = H5Screate_simple(1, &n, NULL);
    CHECK(s);
    hid_t d = H5Dcreate2(f, "data", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(d);
    CHECK(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    CHECK(H5Dclose(d));
    CHECK(H5Sclose(s));
    CHECK(H5Fclose(f));
}

static void bulk_read(const char *path, hid_t fapl, double *buf)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    CHECK(f);
    hid_t d = H5Dopen2(f, "data", H5P_DEFAULT);
    CHECK(d);
    CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    CHECK(H5Dclose(d));
    CHECK(H5Fclose(f));
}

/* ---- the table -------------------------------------------------------------------------- */

typedef struct series {
    const char *workload, *phase;
    int variant;
    double t[MAX_RUNS];
    double ratio[MAX_RUNS];
    int n;
} series;

#define MAX_SERIES 32
static series table[MAX_SERIES];
static int nseries = 0;

static series *series_for(const char *workload, const char *phase, int variant)
{
    for (int i = 0; i < nseries; i++)
        if (table[i].variant == variant && strcmp(table[i].workload, workload) == 0 &&
            strcmp(table[i].phase, phase) == 0)
            return &table[i];
    if (nseries == MAX_SERIES)
        DIE("too many series");
    series *s = &table[nseries++];
    memset(s, 0, sizeof *s);
    s->workload = workload;
    s->phase = phase;
    s->variant = variant;
    return s;
}

/* Records one run's times (indexed by variant, < 0 = not measured) as times and ratios to
 * native. */
static void record(const char *workload, const char *phase, const double *t)
{
    for (int v = 0; v < NVARIANTS; v++) {
        if (t[v] < 0)
            continue;
        series *s = series_for(workload, phase, v);
        s->t[s->n] = t[v];
        s->ratio[s->n] = t[v] / t[V_NATIVE];
        s->n++;
    }
}

static void print_table(const options *o)
{
    printf("\n| workload | phase | variant | median s | min s | median ratio to native | "
           "extra |\n");
    printf("|---|---|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < nseries; i++) {
        const series *s = &table[i];
        double mn = s->t[0];
        for (int k = 1; k < s->n; k++)
            mn = s->t[k] < mn ? s->t[k] : mn;
        double r = median(s->ratio, s->n);
        printf("| %s | %s | %s | %.4f | %.4f | %.3f | %+.1f%% |\n", s->workload, s->phase,
               variant_names[s->variant], median(s->t, s->n), mn, r, (r - 1.0) * 100.0);
    }
    printf("\n%d runs; meta: %ld attributes (%ld lists of %d); bulk: %ld MiB; files in %s\n",
           o->runs, o->attrs, o->attrs / LIST_LEN, LIST_LEN, o->bulk_mib, o->dir);
}

/* ---- main ------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: bench_vol_overhead [--quick] [--runs N] [--attrs N] [--bulk-mib N] "
                    "[--dir DIR] [--plugin-dir DIR] [--only meta|bulk] "
                    "[--profile native|off|strict|checker]\n");
    exit(2);
}

static void parse_args(int argc, char **argv, options *o)
{
    struct stat sb;
    o->runs = 7;
    o->attrs = 50000;
    o->bulk_mib = 1024;
    o->dir = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : ".";
    o->plugin_dir = getenv("HDF5_PLUGIN_PATH") ? NULL : JAXON_PLUGIN_DIR;
    o->do_meta = o->do_bulk = 1;
    o->profile = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            o->runs = 3;
            o->attrs = 2000;
            o->bulk_mib = 16;
        } else if (strcmp(a, "--runs") == 0 && next) {
            o->runs = atoi(next), i++;
        } else if (strcmp(a, "--attrs") == 0 && next) {
            o->attrs = atol(next), i++;
        } else if (strcmp(a, "--bulk-mib") == 0 && next) {
            o->bulk_mib = atol(next), i++;
        } else if (strcmp(a, "--dir") == 0 && next) {
            o->dir = next, i++;
        } else if (strcmp(a, "--plugin-dir") == 0 && next) {
            o->plugin_dir = next, i++;
        } else if (strcmp(a, "--only") == 0 && next) {
            o->do_meta = strcmp(next, "meta") == 0;
            o->do_bulk = strcmp(next, "bulk") == 0;
            i++;
        } else if (strcmp(a, "--profile") == 0 && next) {
            static const char *const pv[NVARIANTS] = {"native", "off", "strict", "checker"};
            for (int v = 0; v < NVARIANTS; v++)
                if (strcmp(next, pv[v]) == 0)
                    o->profile = v;
            if (o->profile < 0)
                usage();
            i++;
        } else {
            usage();
        }
    }
    if (o->runs < 1 || o->runs > MAX_RUNS || o->attrs < LIST_LEN || o->bulk_mib < 1)
        usage();
}

int main(int argc, char **argv)
{
    options o;
    parse_args(argc, argv, &o);
    if (o.plugin_dir && *o.plugin_dir)
        CHECK(H5PLprepend(o.plugin_dir));
    jaxon_id = H5VLregister_connector_by_name("jaxon", H5P_DEFAULT);
    if (jaxon_id < 0)
        DIE("cannot load the jaxon connector plugin (HDF5_PLUGIN_PATH or --plugin-dir)");

    hid_t fapl[NVARIANTS];
    for (int v = 0; v < NVARIANTS; v++)
        fapl[v] = make_fapl(v);
    char path[4096];
    long pid = (long)getpid();
    long nlists = o.attrs / LIST_LEN;

    if (o.profile >= 0) {
        meta_ctx m;
        meta_ctx_open(&m);
        snprintf(path, sizeof path, "%s/jxbench-%ld-profile.h5", o.dir, pid);
        int v = o.profile == V_CHECKER ? V_NATIVE : o.profile;
        meta_write(&m, path, fapl[v], nlists, 1);
        if (o.profile == V_CHECKER)
            check_alone(path, fapl[V_NATIVE]);
        else if (meta_read(path, fapl[v], 1) != nlists * LIST_LEN)
            DIE("profile: wrong number of values read back");
        unlink(path);
        meta_ctx_close(&m);
        for (int v2 = 0; v2 < NVARIANTS; v2++)
            H5Pclose(fapl[v2]);
        H5VLclose(jaxon_id);
        return 0;
    }

    if (o.do_meta) {
        meta_ctx m;
        meta_ctx_open(&m);
        static const struct {
            const char *name;
            int jaxon;
        } kinds[] = {{"meta-jaxon", 1}, {"meta-plain", 0}};
        for (int run = 0; run < o.runs; run++) {
            for (size_t k = 0; k < 2; k++) {
                double tw[NVARIANTS], tr[NVARIANTS];
                for (int v = 0; v < NVARIANTS; v++)
                    tw[v] = tr[v] = -1;
                for (int i = 0; i < V_CHECKER; i++) {
                    int v = (run + i) % V_CHECKER;
                    snprintf(path, sizeof path, "%s/jxbench-%ld-%s-%d.h5", o.dir, pid,
                             kinds[k].name, v);
                    double t0 = now();
                    meta_write(&m, path, fapl[v], nlists, kinds[k].jaxon);
                    double t1 = now();
                    long got = meta_read(path, fapl[v], kinds[k].jaxon);
                    double t2 = now();
                    if (got != nlists * LIST_LEN)
                        DIE("read %ld values, expected %ld", got, nlists * LIST_LEN);
                    tw[v] = t1 - t0;
                    tr[v] = t2 - t1;
                    if (v == V_NATIVE && kinds[k].jaxon) {
                        double t3 = now();
                        long nodes = check_alone(path, fapl[V_NATIVE]);
                        tr[V_CHECKER] = now() - t3;
                        if (nodes < nlists * (LIST_LEN + 1))
                            DIE("the checker saw %ld nodes, expected %ld", nodes,
                                nlists * (LIST_LEN + 1) + 1);
                    }
                    unlink(path);
                }
                record(kinds[k].name, "write", tw);
                record(kinds[k].name, "read", tr);
            }
            fprintf(stderr, "meta run %d/%d done\n", run + 1, o.runs);
        }
        meta_ctx_close(&m);
    }

    if (o.do_bulk) {
        hsize_t n = (hsize_t)o.bulk_mib * 1024 * 1024 / sizeof(double);
        double *buf = malloc((size_t)n * sizeof *buf);
        double *back = malloc((size_t)n * sizeof *back);
        if (!buf || !back)
            DIE("out of memory for %ld MiB", o.bulk_mib);
        for (hsize_t i = 0; i < n; i++)
            buf[i] = (double)i * 0.5;
        for (int run = 0; run < o.runs; run++) {
            double tw[NVARIANTS], tr[NVARIANTS];
            for (int v = 0; v < NVARIANTS; v++)
                tw[v] = tr[v] = -1;
            for (int i = 0; i < V_CHECKER; i++) {
                int v = (run + i) % V_CHECKER;
                snprintf(path, sizeof path, "%s/jxbench-%ld-bulk-%d.h5", o.dir, pid, v);
                double t0 = now();
                bulk_write(path, fapl[v], buf, n);
                double t1 = now();
                bulk_read(path, fapl[v], back);
                double t2 = now();
                if (back[n - 1] != buf[n - 1] || back[n / 2] != buf[n / 2])
                    DIE("bulk data read back differs");
                tw[v] = t1 - t0;
                tr[v] = t2 - t1;
                unlink(path);
            }
            record("bulk", "write", tw);
            record("bulk", "read", tr);
            fprintf(stderr, "bulk run %d/%d done\n", run + 1, o.runs);
        }
        free(buf);
        free(back);
    }

    for (int v = 0; v < NVARIANTS; v++)
        H5Pclose(fapl[v]);
    H5VLclose(jaxon_id);
    print_table(&o);
    return 0;
}
