/* The write-time tracker fed with event sequences as the connector would: valid saves in the
 * writer order of spec §3.11 (and §4.11), and broken ones that must be refused with exactly
 * the expected rule. */
#include "jxv.h"
#include "vtest.h"

#include <string.h>
#include <time.h>

/* ---- event helpers -------------------------------------------------------------------- */

static jxv_type fls(size_t n)
{
    jxv_type t = {JXV_T_FIXED_STRING, n, 1, 0, JXV_S_SCALAR, 0, 1, 0};
    return t;
}

static jxv_type typ(jxv_tkind k, size_t size, int is_signed, jxv_skind sp, int rank, uint64_t n)
{
    jxv_type t = {k, size, 0, is_signed, sp, rank, n, 0};
    return t;
}

#define F64_SCALAR typ(JXV_T_FLOAT, 8, 0, JXV_S_SCALAR, 0, 1)
#define F64_VEC(n) typ(JXV_T_FLOAT, 8, 0, JXV_S_SIMPLE, 1, n)
#define U8_VEC(n) typ(JXV_T_INTEGER, 1, 0, JXV_S_SIMPLE, 1, n)
#define E_TYPE typ(JXV_T_FLOAT, 8, 0, JXV_S_SIMPLE, 1, 0)

/* Creates a text attribute and writes its text, like h5py's attrs[name] = text. */
static int text(jxv_tracker *t, const char *parent, const char *name, const char *value,
                jxv_report *rep)
{
    jxv_type ty = fls(strlen(value));
    if (jxv_on_attr_create(t, parent, name, &ty, rep) < 0)
        return -1;
    return jxv_on_attr_write_text(t, parent, name, value, strlen(value), rep);
}

static int attr(jxv_tracker *t, const char *parent, const char *name, jxv_type ty,
                jxv_report *rep)
{
    return jxv_on_attr_create(t, parent, name, &ty, rep);
}

static int group(jxv_tracker *t, const char *parent, const char *name, jxv_report *rep)
{
    return jxv_on_group_create(t, parent, name, rep);
}

typedef struct notes {
    char path[16][64];
    char text[16][128];
    int n;
} notes;

static int note(const char *path, const char *text_, void *ud)
{
    notes *nt = ud;
    if (nt->n < 16) {
        snprintf(nt->path[nt->n], sizeof nt->path[0], "%s", path);
        snprintf(nt->text[nt->n], sizeof nt->text[0], "%s", text_);
    }
    nt->n++;
    return 0;
}

static int note_self(const char *rel, const char *text_, void *ud)
{
    return note(rel ? rel : "(self)", text_, ud);
}

static const char *note_of(const notes *nt, const char *path)
{
    for (int i = 0; i < nt->n && i < 16; i++)
        if (strcmp(nt->path[i], path) == 0)
            return nt->text[i];
    return NULL;
}

#define SETUP()                                                                                \
    jxv_report rep;                                                                            \
    jxv_report_init(&rep);                                                                     \
    jxv_tracker *t = jxv_tracker_new();                                                        \
    ASSERT_TRUE(t != NULL)
#define TEARDOWN()                                                                             \
    do {                                                                                       \
        jxv_tracker_free(t);                                                                   \
        jxv_report_clear(&rep);                                                                \
    } while (0)

/* Runs the call, expects it refused with exactly one violation of rule. */
#define EXPECT_REFUSED(call, rule_)                                                            \
    do {                                                                                       \
        int r__ = (call);                                                                      \
        if (r__ == 0)                                                                          \
            TEST_FAIL_("%s was accepted", #call);                                              \
        ASSERT_ONLY_RULE(&rep, rule_);                                                         \
    } while (0)

#define OK(call) ASSERT_EQ_INT((call), 0)

/* ---- valid saves ---------------------------------------------------------------------- */

static void tracker_should_accept_a_flat_dict_and_annotate_it(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    ASSERT_TRUE(jxv_tracker_is_jaxon(t));
    OK(text(t, "/JAXON_ROOT", "'a'", "int(1)", &rep));
    OK(text(t, "/JAXON_ROOT", "'b'", "'x'", &rep));
    OK(text(t, "/JAXON_ROOT", "'c'", "None", &rep));
    ASSERT_FALSE(jxv_tracker_root_written(t));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    ASSERT_TRUE(jxv_tracker_root_written(t));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/"), "Jaxon layout v1.2.0 (written through the jaxon VOL connector)");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT"), "dict, 3 entries");
    TEARDOWN();
}

static void tracker_should_accept_a_list_of_every_atom(void)
{
    SETUP();
    static const char *const items[] = {"None", "Ellipsis", "bool(True)", "float(2.5)",
                                        "complex(1+2j)", "complex(2j)", "range(0,3)",
                                        "slice(1,None,None)"};
    OK(group(t, "/", "JAXON_ROOT", &rep));
    for (int i = 0; i < 8; i++) {
        char name[8];
        snprintf(name, sizeof name, "%d", i);
        OK(text(t, "/JAXON_ROOT", name, items[i], &rep));
    }
    OK(text(t, "/", "JAXON_ROOT", "list", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT"), "list, 8 items");
    TEARDOWN();
}

static void tracker_should_accept_numeric_scalars_and_data_in_attributes(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(attr(t, "/JAXON_ROOT", "0", F64_SCALAR, &rep));
    OK(attr(t, "/JAXON_ROOT", "1:numpy.ndarray", F64_VEC(3), &rep));
    OK(attr(t, "/JAXON_ROOT", "2:bytes", U8_VEC(0), &rep));
    OK(attr(t, "/JAXON_ROOT", "3:!m.K", U8_VEC(10), &rep));
    OK(text(t, "/", "JAXON_ROOT", "tuple", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    TEARDOWN();
}

static void tracker_should_accept_nested_containers_and_key_value_pairs(void)
{
    /* V1-E7: {1: "one", (1, 2): [3], "k\0": None, 2.5: b"x"} */
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "int(1)", "'one'", &rep));
    OK(group(t, "/JAXON_ROOT", "key(1)", &rep));
    OK(text(t, "/JAXON_ROOT/key(1)", "0", "int(1)", &rep));
    OK(text(t, "/JAXON_ROOT/key(1)", "1", "int(2)", &rep));
    OK(text(t, "/JAXON_ROOT", "key(1)", "tuple", &rep));
    OK(group(t, "/JAXON_ROOT", "value(1)", &rep));
    OK(text(t, "/JAXON_ROOT/value(1)", "0", "int(3)", &rep));
    OK(text(t, "/JAXON_ROOT", "value(1)", "list", &rep));
    jxv_type k = fls(4);
    OK(jxv_on_attr_create(t, "/JAXON_ROOT", "key(2)", &k, &rep));
    OK(jxv_on_attr_write_text(t, "/JAXON_ROOT", "key(2)", "'k\0'", 4, &rep));
    OK(text(t, "/JAXON_ROOT", "value(2)", "None", &rep));
    OK(attr(t, "/JAXON_ROOT", "float(2.5):bytes", U8_VEC(1), &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT"), "dict, 4 entries");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/key(1)"), "tuple, 2 items");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/value(1)"), "list, 1 item");
    TEARDOWN();
}

static void tracker_should_model_intermediate_groups_of_keys_with_slashes(void)
{
    /* V1-E10 and V1-E11: keys with '/' nest groups; references escape the '/' */
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'x/y'", &rep));
    OK(text(t, "/JAXON_ROOT/'x/y'", "'z'", "int(1)", &rep));
    OK(text(t, "/JAXON_ROOT", "'x/y'", "dict", &rep));
    OK(group(t, "/JAXON_ROOT", "'k/1'", &rep));
    OK(text(t, "/JAXON_ROOT/'k/1'", "'x'", "'it's a/b\\c'", &rep));
    OK(text(t, "/JAXON_ROOT", "'k/1'", "dict", &rep));
    OK(text(t, "/JAXON_ROOT", "'r':ref", "/JAXON_ROOT/'k\\/1'/'x'", &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'x/y'"), "dict, 1 entry");
    ASSERT_TRUE(note_of(&nt, "/JAXON_ROOT/'x") == NULL); /* intermediate: no node */
    TEARDOWN();
}

static void tracker_should_count_references_to_shared_objects(void)
{
    /* V1-E6 plus a shared container */
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(attr(t, "/JAXON_ROOT", "'a':numpy.ndarray", F64_VEC(2), &rep));
    OK(group(t, "/JAXON_ROOT", "'b'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "0:ref", "/JAXON_ROOT/'a':numpy.ndarray", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "1", "'shared'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "2:ref", "/JAXON_ROOT/'b'/1", &rep));
    OK(text(t, "/JAXON_ROOT", "'b'", "list", &rep));
    OK(text(t, "/JAXON_ROOT", "'c':ref", "/JAXON_ROOT/'b'/1", &rep));
    OK(text(t, "/JAXON_ROOT", "'d':ref", "/JAXON_ROOT/'b'", &rep));
    OK(text(t, "/JAXON_ROOT", "'e':ref", "/JAXON_ROOT/'b'", &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'b'"),
                 "list, 3 items; shared object, referenced 2 times");
    TEARDOWN();
}

/* What the connector does after each forwarded event: annotate the object the event
 * completed, from the location it holds (loc). */
static void annotate_now(jxv_tracker *t, const char *loc, notes *nt)
{
    jxv_tracker_annotate_completed(t, loc, note, nt);
}

static void tracker_should_annotate_objects_as_they_complete_and_only_changes_at_close(void)
{
    SETUP();
    notes now = {0};
    OK(group(t, "/", "JAXON_ROOT", &rep));
    annotate_now(t, "/JAXON_ROOT", &now);
    OK(group(t, "/JAXON_ROOT", "'b'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "0", "'shared'", &rep));
    annotate_now(t, "/JAXON_ROOT/'b'", &now);
    ASSERT_EQ_INT(now.n, 0); /* nothing completed yet */
    OK(text(t, "/JAXON_ROOT", "'b'", "list", &rep));
    annotate_now(t, "/JAXON_ROOT", &now); /* from the group holding the attribute */
    ASSERT_EQ_INT(now.n, 1);
    ASSERT_STREQ(now.path[0], "'b'");
    ASSERT_STREQ(now.text[0], "list, 1 item");
    /* a storage-hint dataset completes at its create: the location is the dataset itself,
     * which the callback sees as rel NULL */
    OK(text(t, "/JAXON_ROOT", "'z'", "numpy.ndarray", &rep));
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'z'", &d, &rep));
    notes self = {0};
    jxv_tracker_annotate_completed(t, "/JAXON_ROOT/'z'", note_self, &self);
    ASSERT_EQ_INT(self.n, 1);
    ASSERT_STREQ(self.path[0], "(self)");
    ASSERT_STREQ(self.text[0], "numpy.ndarray data");
    /* a location that is neither leaves the object to the pass at close */
    OK(group(t, "/JAXON_ROOT", "'c'", &rep));
    OK(text(t, "/JAXON_ROOT/'c'", "0", "int(1)", &rep));
    OK(text(t, "/JAXON_ROOT", "'c'", "tuple", &rep));
    annotate_now(t, "/elsewhere", &now);
    ASSERT_EQ_INT(now.n, 1);
    OK(text(t, "/JAXON_ROOT", "'d':ref", "/JAXON_ROOT/'b'", &rep)); /* 'b' changes */
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes closing = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &closing));
    ASSERT_STREQ(note_of(&closing, "/JAXON_ROOT/'b'"),
                 "list, 1 item; shared object, referenced 1 time");
    ASSERT_STREQ(note_of(&closing, "/JAXON_ROOT/'c'"), "tuple, 1 item");
    ASSERT_STREQ(note_of(&closing, "/JAXON_ROOT"), "dict, 4 entries");
    ASSERT_TRUE(note_of(&closing, "/JAXON_ROOT/'z'") == NULL); /* written, unchanged */
    ASSERT_TRUE(note_of(&closing, "/") != NULL);
    /* a second pass writes only the layout record on "/" again (it replaces the INVALID
     * comment of an earlier finish that found violations) */
    notes again = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &again));
    ASSERT_EQ_INT(again.n, 1);
    ASSERT_STREQ(again.path[0], "/");
    TEARDOWN();
}

static void tracker_should_annotate_v2_objects_when_their_attribute_is_created(void)
{
    /* v2 writes the group or dataset first and completes the node with the attribute */
    SETUP();
    notes now = {0};
    OK(text(t, "/", "JAXON_VERSION", "2.0.0", &rep));
    OK(group(t, "/", "JAXON_ROOT", &rep));
    jxv_type a = typ(JXV_T_INTEGER, 8, 1, JXV_S_SIMPLE, 1, 2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'a'", &a, &rep));
    annotate_now(t, "/JAXON_ROOT/'a'", &now);
    ASSERT_EQ_INT(now.n, 0);
    OK(attr(t, "/JAXON_ROOT", "'a':numpy.ndarray", E_TYPE, &rep));
    annotate_now(t, "/JAXON_ROOT", &now);
    ASSERT_EQ_INT(now.n, 1);
    ASSERT_STREQ(now.path[0], "'a'");
    ASSERT_STREQ(now.text[0], "numpy.ndarray data");
    OK(group(t, "/JAXON_ROOT", "'b'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "0", "'x'", &rep));
    OK(attr(t, "/JAXON_ROOT", "'b':list", E_TYPE, &rep));
    annotate_now(t, "/JAXON_ROOT", &now);
    ASSERT_EQ_INT(now.n, 2);
    ASSERT_STREQ(now.path[1], "'b'");
    ASSERT_STREQ(now.text[1], "list, 1 item");
    OK(attr(t, "/", "JAXON_ROOT:dict", E_TYPE, &rep));
    annotate_now(t, "/", &now);
    ASSERT_EQ_INT(now.n, 3);
    ASSERT_STREQ(now.path[2], "JAXON_ROOT");
    ASSERT_STREQ(now.text[2], "dict, 2 entries");
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes closing = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &closing));
    ASSERT_EQ_INT(closing.n, 1); /* only the layout record on "/" is left */
    ASSERT_STREQ(closing.path[0], "/");
    TEARDOWN();
}

static void tracker_should_name_dataclasses_and_storage_hint_datasets(void)
{
    /* V1-E8 and V1-E9 */
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'p'", &rep));
    OK(text(t, "/JAXON_ROOT/'p'", "'x'", "int(1)", &rep));
    OK(group(t, "/JAXON_ROOT/'p'", "'y'", &rep));
    OK(text(t, "/JAXON_ROOT/'p'/'y'", "0", "int(2)", &rep));
    OK(text(t, "/JAXON_ROOT/'p'", "'y'", "list", &rep));
    OK(text(t, "/JAXON_ROOT", "'p'", "dict#mymodule.Model", &rep));
    OK(text(t, "/JAXON_ROOT", "'z'", "numpy.ndarray", &rep));
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'z'", &d, &rep));
    OK(text(t, "/JAXON_ROOT", "'q'", "bytes", &rep));
    jxv_type b = U8_VEC(3);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'q'", &b, &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'p'"), "dataclass mymodule.Model, 2 fields");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'z'"), "numpy.ndarray data");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'q'"), "bytes data");
    TEARDOWN();
}

static void tracker_should_accept_storage_hint_datasets_under_slash_keys(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'x/y'", "numpy.ndarray", &rep));
    OK(group(t, "/JAXON_ROOT", "'x", &rep)); /* h5py's require_group of the parent path */
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT/'x", "y'", &d, &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    TEARDOWN();
}

static void tracker_should_accept_the_jaxon_dtype_attribute_on_array_datasets(void)
{
    /* our saver's extension: exact jax dtypes keep their name on the dataset */
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "0", "jax.Array", &rep));
    jxv_type bf16 = typ(JXV_T_FLOAT, 2, 0, JXV_S_SIMPLE, 1, 2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "0", &bf16, &rep));
    OK(text(t, "/JAXON_ROOT/0", "JAXON_DTYPE", "bfloat16", &rep));
    OK(text(t, "/JAXON_ROOT", "1", "jax.Array", &rep));
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "1", &bf16, &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT/1", "JAXON_DTYPE", "bfloat17", &rep),
                   JXV_RULE_TYPE_TAG);
    jxv_report_clear(&rep);
    /* NumPy arrays of ml_dtypes carry it too; other data (bytes) never does */
    OK(text(t, "/JAXON_ROOT", "2", "numpy.ndarray", &rep));
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "2", &bf16, &rep));
    OK(text(t, "/JAXON_ROOT/2", "JAXON_DTYPE", "bfloat16", &rep));
    jxv_type u8 = typ(JXV_T_INTEGER, 1, 0, JXV_S_SIMPLE, 1, 4);
    OK(text(t, "/JAXON_ROOT", "3", "bytes", &rep));
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "3", &u8, &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT/3", "JAXON_DTYPE", "bfloat16", &rep),
                   JXV_RULE_STRAY_OBJECT);
    TEARDOWN();
}

static void tracker_should_accept_scalar_and_storage_hint_roots(void)
{
    SETUP();
    OK(text(t, "/", "JAXON_ROOT", "int(42)", &rep));
    ASSERT_TRUE(jxv_tracker_is_jaxon(t));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    jxv_tracker_free(t);
    t = jxv_tracker_new();
    OK(text(t, "/", "JAXON_ROOT", "numpy.ndarray", &rep));
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/", "JAXON_ROOT", &d, &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    TEARDOWN();
}

static void tracker_should_leave_plain_hdf5_files_alone(void)
{
    SETUP();
    OK(group(t, "/", "data", &rep));
    OK(attr(t, "/data", "anything goes", F64_VEC(3), &rep));
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/data", "x/y", &d, &rep));
    OK(text(t, "/data", "01", "complex()", &rep));
    OK(jxv_on_delete(t, "/data", "x", &rep));
    ASSERT_FALSE(jxv_tracker_is_jaxon(t));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_EQ_INT(nt.n, 0);
    TEARDOWN();
}

static void tracker_should_accept_a_v2_save(void)
{
    /* V2-E6 (shared objects) and V2-E4 (numpy scalars in datasets) */
    SETUP();
    OK(text(t, "/", "JAXON_VERSION", "2.0.0", &rep));
    ASSERT_FALSE(jxv_tracker_is_jaxon(t));
    OK(group(t, "/", "JAXON_ROOT", &rep));
    jxv_type a = typ(JXV_T_INTEGER, 8, 1, JXV_S_SIMPLE, 1, 2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'a'", &a, &rep));
    OK(attr(t, "/JAXON_ROOT", "'a':numpy.ndarray", E_TYPE, &rep));
    OK(group(t, "/JAXON_ROOT", "'b'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "0", "/JAXON_ROOT/'a'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "1", "'a fairly long string'", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "2", "/JAXON_ROOT/'b'/1", &rep));
    OK(text(t, "/JAXON_ROOT/'b'", "3", "'short'", &rep));
    OK(attr(t, "/JAXON_ROOT", "'b':list", E_TYPE, &rep));
    OK(text(t, "/JAXON_ROOT", "'c'", "/JAXON_ROOT/'b'/1", &rep));
    jxv_type s = fls(3);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'s'", &s, &rep));
    OK(attr(t, "/JAXON_ROOT", "'s':numpy.str_", E_TYPE, &rep));
    OK(text(t, "/JAXON_ROOT", "'n'", "-0.0", &rep));
    OK(attr(t, "/", "JAXON_ROOT:dict", E_TYPE, &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    notes nt = {0};
    OK(jxv_tracker_foreach_annotation(t, note, &nt));
    ASSERT_STREQ(note_of(&nt, "/"),
                 "Jaxon layout v2.0.0 (written through the jaxon VOL connector)");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT"), "dict, 5 entries");
    ASSERT_STREQ(note_of(&nt, "/JAXON_ROOT/'a'"),
                 "numpy.ndarray data; shared object, referenced 1 time");
    TEARDOWN();
}

static void tracker_should_accept_v2_slash_keys_and_empty_buffers(void)
{
    /* V2-E11 (readable by path lookup, bug B2-1) and V2-E5's empty bytearray (bug B2-9) */
    SETUP();
    OK(text(t, "/", "JAXON_VERSION", "2.0.0", &rep));
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'x/y'", &rep));
    OK(text(t, "/JAXON_ROOT/'x/y'", "0", "1", &rep));
    OK(attr(t, "/JAXON_ROOT", "'x/y':list", E_TYPE, &rep));
    jxv_type null_f64 = typ(JXV_T_FLOAT, 8, 0, JXV_S_NULL, 0, 0);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "'b'", &null_f64, &rep));
    OK(attr(t, "/JAXON_ROOT", "'b':bytearray", E_TYPE, &rep));
    OK(attr(t, "/JAXON_ROOT", "'m':#jaxon[m.C]", fls(1), &rep));
    OK(jxv_on_attr_write_text(t, "/JAXON_ROOT", "'m':#jaxon[m.C]", "5", 1, &rep));
    OK(attr(t, "/", "JAXON_ROOT:dict", E_TYPE, &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    TEARDOWN();
}

static void tracker_should_accept_zero_padded_indices_of_lists_beyond_65535_items(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    char name[16];
    for (int i = 0; i < 70000; i++) {
        snprintf(name, sizeof name, "%05d", i);
        OK(text(t, "/JAXON_ROOT", name, "None", &rep));
    }
    OK(text(t, "/", "JAXON_ROOT", "list", &rep));
    OK(jxv_tracker_finish(t, &rep));
    ASSERT_CLEAN(&rep);
    TEARDOWN();
}

static void tracker_should_refuse_zero_padded_indices_of_small_or_mixed_lists(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "00", "None", &rep));
    OK(text(t, "/JAXON_ROOT", "01", "None", &rep));
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT", "list", &rep), JXV_RULE_INDEX_ORDER);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "2", "None", &rep), JXV_RULE_INDEX_ORDER);
    TEARDOWN();
}

static void tracker_should_handle_fifty_thousand_nodes_quickly(void)
{
    SETUP();
    clock_t start = clock();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    char name[32], val[32];
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "%d", i);
        OK(group(t, "/JAXON_ROOT", name, &rep));
        char gp[48];
        snprintf(gp, sizeof gp, "/JAXON_ROOT/%d", i);
        for (int j = 0; j < 100; j++) {
            snprintf(name, sizeof name, "'k%d'", j);
            snprintf(val, sizeof val, "int(%d)", j);
            OK(text(t, gp, name, val, &rep));
        }
        snprintf(name, sizeof name, "%d", i);
        OK(text(t, "/JAXON_ROOT", name, "dict", &rep));
    }
    OK(text(t, "/", "JAXON_ROOT", "list", &rep));
    OK(jxv_tracker_finish(t, &rep));
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    ASSERT_CLEAN(&rep);
    printf("     50,500 nodes tracked in %.3f s\n", secs);
    ASSERT_TRUE(secs < 3.0);
    TEARDOWN();
}

/* ---- refused events ------------------------------------------------------------------- */

static void tracker_should_refuse_an_index_out_of_order(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "0", "None", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "2", "None", &rep), JXV_RULE_INDEX_ORDER);
    TEARDOWN();
}

static void tracker_should_refuse_a_list_tag_on_dict_slots(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "None", &rep));
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT", "list", &rep), JXV_RULE_INDEX_ORDER);
    TEARDOWN();
}

static void tracker_should_refuse_a_dict_tag_on_index_slots(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "0", "None", &rep));
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT", "dict", &rep), JXV_RULE_SLOT_NAME);
    TEARDOWN();
}

static void tracker_should_refuse_a_key_not_followed_by_its_value(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "key(0)", "'k\\0'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'b'", "None", &rep), JXV_RULE_KEY_VALUE);
    TEARDOWN();
}

static void tracker_should_refuse_a_key_with_the_wrong_entry_number(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "None", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "key(0)", "None", &rep), JXV_RULE_KEY_VALUE);
    TEARDOWN();
}

static void tracker_should_refuse_a_value_without_its_key(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "value(0)", "None", &rep), JXV_RULE_KEY_VALUE);
    TEARDOWN();
}

static void tracker_should_refuse_a_dict_ending_with_an_open_key(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "key(0)", "None", &rep));
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT", "dict", &rep), JXV_RULE_KEY_VALUE);
    TEARDOWN();
}

static void tracker_should_refuse_a_malformed_slot_name(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "abc", "None", &rep), JXV_RULE_SLOT_NAME);
    TEARDOWN();
}

static void tracker_should_refuse_two_nodes_with_one_slot(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'s'", "'text'", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "None", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'a':ref", "/JAXON_ROOT/'s'", &rep),
                   JXV_RULE_DUPLICATE_SLOT);
    TEARDOWN();
}

static void tracker_should_refuse_values_of_the_wrong_hdf5_type(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(attr(t, "/JAXON_ROOT", "'a'", F64_VEC(3), &rep), JXV_RULE_VALUE_TYPE);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(attr(t, "/JAXON_ROOT", "'b':bytes", F64_VEC(3), &rep), JXV_RULE_VALUE_TYPE);
    jxv_report_clear(&rep);
    jxv_type v = typ(JXV_T_VLEN_STRING, 16, 0, JXV_S_SCALAR, 0, 1);
    v.utf8 = 1;
    EXPECT_REFUSED(jxv_on_attr_create(t, "/JAXON_ROOT", "'c'", &v, &rep), JXV_RULE_VALUE_TYPE);
    jxv_report_clear(&rep);
    jxv_type ascii = fls(4);
    ascii.utf8 = 0;
    EXPECT_REFUSED(jxv_on_attr_create(t, "/JAXON_ROOT", "'d'", &ascii, &rep),
                   JXV_RULE_VALUE_TYPE);
    TEARDOWN();
}

static void tracker_should_refuse_the_corrupt_complex_atom(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "0", "complex()", &rep), JXV_RULE_ATOM_TEXT);
    TEARDOWN();
}

static void tracker_should_refuse_an_unknown_container_tag(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'a'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'a'", "dictionary", &rep), JXV_RULE_TYPE_TAG);
    TEARDOWN();
}

static void tracker_should_refuse_a_relative_reference_path(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'s'", "'x'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'r':ref", "JAXON_ROOT/'s'", &rep),
                   JXV_RULE_REF_PATH);
    TEARDOWN();
}

static void tracker_should_refuse_references_to_missing_unfinished_or_atom_nodes(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'n'", "None", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'r':ref", "/JAXON_ROOT/'zz'", &rep),
                   JXV_RULE_REF_TARGET);
    jxv_report_clear(&rep);
    OK(group(t, "/JAXON_ROOT", "'l'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT/'l'", "0:ref", "/JAXON_ROOT/'l'", &rep),
                   JXV_RULE_REF_TARGET); /* the enclosing container: a cycle */
    jxv_report_clear(&rep);
    EXPECT_REFUSED(text(t, "/JAXON_ROOT/'l'", "0:ref", "/JAXON_ROOT/'n'", &rep),
                   JXV_RULE_REF_TARGET); /* None is never referenced */
    TEARDOWN();
}

static void tracker_should_refuse_references_to_references(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'s'", "'x'", &rep));
    OK(text(t, "/JAXON_ROOT", "'r':ref", "/JAXON_ROOT/'s'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'q':ref", "/JAXON_ROOT/'r':ref", &rep),
                   JXV_RULE_REF_TARGET);
    TEARDOWN();
}

static void tracker_should_refuse_a_container_tag_without_its_group(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'a'", "list", &rep), JXV_RULE_CONTAINER_GROUP);
    TEARDOWN();
}

static void tracker_should_report_a_group_that_never_got_its_container_attribute(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'a'", &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), -1);
    ASSERT_ONLY_RULE(&rep, JXV_RULE_CONTAINER_GROUP);
    TEARDOWN();
}

static void tracker_should_refuse_children_after_the_container_attribute(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(group(t, "/JAXON_ROOT", "'a'", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "list", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT/'a'", "0", "None", &rep), JXV_RULE_CONTAINER_GROUP);
    TEARDOWN();
}

static void tracker_should_report_a_storage_hint_without_its_dataset(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "numpy.ndarray", &rep));
    OK(text(t, "/", "JAXON_ROOT", "dict", &rep));
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), -1);
    ASSERT_ONLY_RULE(&rep, JXV_RULE_DATASET);
    TEARDOWN();
}

static void tracker_should_refuse_a_storage_hint_dataset_of_the_wrong_type(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'a'", "bytes", &rep));
    jxv_type d = F64_VEC(2);
    EXPECT_REFUSED(jxv_on_dataset_create(t, "/JAXON_ROOT", "'a'", &d, &rep), JXV_RULE_DATASET);
    TEARDOWN();
}

static void tracker_should_refuse_stray_objects_and_changes_in_the_tree(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    jxv_type d = F64_VEC(2);
    EXPECT_REFUSED(jxv_on_dataset_create(t, "/JAXON_ROOT", "'z'", &d, &rep),
                   JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(group(t, "/", "other", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(text(t, "/", "comment", "'x'", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_delete(t, "/JAXON_ROOT", "'a'", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_link_create(t, "/JAXON_ROOT", "l", "/JAXON_ROOT", &rep),
                   JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_attr_rename(t, "/JAXON_ROOT", "'a'", "'b'", &rep),
                   JXV_RULE_STRAY_OBJECT);
    TEARDOWN();
}

/* A file opened for writing with a tree in it: the tracker never saw the tree, so instead of
 * judging changes against nothing (a stray group went through, and close reported a missing
 * root that was there) it refuses every addition and text rewrite in the tree and on "/". */
static void tracker_should_refuse_changes_to_a_sealed_tree_and_finish_clean(void)
{
    SETUP();
    jxv_tracker_seal(t, JXV_LAYOUT_V1);
    ASSERT_TRUE(jxv_tracker_is_sealed(t) && jxv_tracker_is_jaxon(t));
    ASSERT_EQ_INT(jxv_tracker_attr_matters(t, "/JAXON_ROOT/'a'"), 1);
    EXPECT_REFUSED(attr(t, "/JAXON_ROOT", "'c'", fls(6), &rep), JXV_RULE_COMPLETE_TREE);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_attr_write_text(t, "/JAXON_ROOT", "'a'", "int(2)", 6, &rep),
                   JXV_RULE_COMPLETE_TREE);
    ASSERT_STREQ(rep.items[0].path, "/JAXON_ROOT@'a'");
    jxv_report_clear(&rep);
    EXPECT_REFUSED(group(t, "/JAXON_ROOT/'b'", "'g'", &rep), JXV_RULE_COMPLETE_TREE);
    jxv_report_clear(&rep);
    jxv_type d = F64_VEC(2);
    EXPECT_REFUSED(jxv_on_dataset_create(t, "/JAXON_ROOT", "'z'", &d, &rep),
                   JXV_RULE_COMPLETE_TREE);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(attr(t, "/", "JAXON_ROOT:dict", fls(4), &rep), JXV_RULE_COMPLETE_TREE);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(group(t, "/", "other", &rep), JXV_RULE_COMPLETE_TREE);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_delete(t, "/JAXON_ROOT", "'a'", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    /* below an object that is not on "/" nor in the tree (only a broken file has one),
     * the ordinary rules apply */
    OK(group(t, "/other", "x", &rep));
    /* nothing to report at close, nothing to annotate */
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), 0);
    ASSERT_EQ_INT(rep.count, 0);
    notes nt = {0};
    ASSERT_EQ_INT(jxv_tracker_foreach_annotation(t, note, &nt), 0);
    ASSERT_EQ_INT(nt.n, 0);
    TEARDOWN();
    /* v2: JAXON_VERSION is part of what is sealed */
    t = jxv_tracker_new();
    jxv_tracker_seal(t, JXV_LAYOUT_V2);
    EXPECT_REFUSED(jxv_on_attr_write_text(t, "/", "JAXON_VERSION", "2.0.0", 5, &rep),
                   JXV_RULE_COMPLETE_TREE);
    TEARDOWN();
}

/* h5py deletes an attribute whose write failed. That delete undoes the incomplete node
 * (slot and order state included) instead of being refused, so the writer can go on; a
 * complete node, or one that is not the last, stays protected. */
static void tracker_should_undo_the_last_incomplete_node_when_it_is_deleted(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "0", "int(1)", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "1", "int(1.5)", &rep), JXV_RULE_ATOM_TEXT);
    jxv_report_clear(&rep);
    /* a link of that name is another object: its delete undoes nothing */
    EXPECT_REFUSED(jxv_on_delete(t, "/JAXON_ROOT", "1", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    OK(jxv_on_attr_delete(t, "/JAXON_ROOT", "1", &rep));
    OK(text(t, "/JAXON_ROOT", "1", "int(2)", &rep)); /* index 1 is expected again */
    EXPECT_REFUSED(jxv_on_attr_delete(t, "/JAXON_ROOT", "1", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    EXPECT_REFUSED(jxv_on_attr_delete(t, "/JAXON_ROOT", "0", &rep), JXV_RULE_STRAY_OBJECT);
    jxv_report_clear(&rep);
    /* the root attribute too */
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT", "lisst", &rep), JXV_RULE_TYPE_TAG);
    jxv_report_clear(&rep);
    OK(jxv_on_attr_delete(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/", "JAXON_ROOT", "list", &rep));
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), 0);
    ASSERT_EQ_INT(rep.count, 0);
    TEARDOWN();
}

static void tracker_should_refuse_a_second_root_and_report_a_missing_one(void)
{
    SETUP();
    OK(text(t, "/", "JAXON_ROOT", "int(1)", &rep));
    EXPECT_REFUSED(attr(t, "/", "JAXON_ROOT:numpy.ndarray", F64_VEC(2), &rep), JXV_RULE_ROOT);
    jxv_tracker_free(t);
    jxv_report_clear(&rep);
    t = jxv_tracker_new();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), -1);
    /* the root group without a root attribute: no root, and a group of no node */
    ASSERT_EQ_INT(rep.count, 2);
    ASSERT_EQ_INT(rep.items[0].rule, JXV_RULE_ROOT);
    TEARDOWN();
}

static void tracker_should_report_plain_root_attributes_written_before_the_root(void)
{
    SETUP();
    OK(text(t, "/", "comment", "'x'", &rep));
    OK(text(t, "/", "JAXON_ROOT", "int(1)", &rep));
    ASSERT_EQ_INT(jxv_tracker_finish(t, &rep), -1);
    ASSERT_ONLY_RULE(&rep, JXV_RULE_STRAY_OBJECT);
    TEARDOWN();
}

static void tracker_should_refuse_a_v2_container_attribute_without_placeholder(void)
{
    SETUP();
    OK(text(t, "/", "JAXON_VERSION", "2.0.0", &rep));
    OK(group(t, "/", "JAXON_ROOT", &rep));
    EXPECT_REFUSED(text(t, "/", "JAXON_ROOT:dict", "dict", &rep), JXV_RULE_VALUE_TYPE);
    TEARDOWN();
}

static void tracker_should_refuse_a_v2_dataset_of_the_wrong_type(void)
{
    SETUP();
    OK(text(t, "/", "JAXON_VERSION", "2.0.0", &rep));
    OK(group(t, "/", "JAXON_ROOT", &rep));
    jxv_type d = F64_VEC(2);
    OK(jxv_on_dataset_create(t, "/JAXON_ROOT", "0", &d, &rep));
    EXPECT_REFUSED(attr(t, "/JAXON_ROOT", "0:jax.Array[bfloat16]", E_TYPE, &rep),
                   JXV_RULE_DATASET);
    TEARDOWN();
}

static void tracker_should_refuse_a_v1_reference_in_the_v2_spelling(void)
{
    SETUP();
    OK(group(t, "/", "JAXON_ROOT", &rep));
    OK(text(t, "/JAXON_ROOT", "'s'", "'x'", &rep));
    EXPECT_REFUSED(text(t, "/JAXON_ROOT", "'r'", "/JAXON_ROOT/'s'", &rep),
                   JXV_RULE_TYPE_TAG); /* v1: a non-atom text value must be a typehint */
    TEARDOWN();
}

int main(void)
{
    RUN(tracker_should_accept_a_flat_dict_and_annotate_it);
    RUN(tracker_should_accept_a_list_of_every_atom);
    RUN(tracker_should_accept_numeric_scalars_and_data_in_attributes);
    RUN(tracker_should_accept_nested_containers_and_key_value_pairs);
    RUN(tracker_should_model_intermediate_groups_of_keys_with_slashes);
    RUN(tracker_should_count_references_to_shared_objects);
    RUN(tracker_should_name_dataclasses_and_storage_hint_datasets);
    RUN(tracker_should_accept_storage_hint_datasets_under_slash_keys);
    RUN(tracker_should_accept_the_jaxon_dtype_attribute_on_array_datasets);
    RUN(tracker_should_accept_scalar_and_storage_hint_roots);
    RUN(tracker_should_leave_plain_hdf5_files_alone);
    RUN(tracker_should_accept_a_v2_save);
    RUN(tracker_should_accept_v2_slash_keys_and_empty_buffers);
    RUN(tracker_should_accept_zero_padded_indices_of_lists_beyond_65535_items);
    RUN(tracker_should_annotate_objects_as_they_complete_and_only_changes_at_close);
    RUN(tracker_should_annotate_v2_objects_when_their_attribute_is_created);
    RUN(tracker_should_refuse_zero_padded_indices_of_small_or_mixed_lists);
    RUN(tracker_should_handle_fifty_thousand_nodes_quickly);
    RUN(tracker_should_refuse_an_index_out_of_order);
    RUN(tracker_should_refuse_a_list_tag_on_dict_slots);
    RUN(tracker_should_refuse_a_dict_tag_on_index_slots);
    RUN(tracker_should_refuse_a_key_not_followed_by_its_value);
    RUN(tracker_should_refuse_a_key_with_the_wrong_entry_number);
    RUN(tracker_should_refuse_a_value_without_its_key);
    RUN(tracker_should_refuse_a_dict_ending_with_an_open_key);
    RUN(tracker_should_refuse_a_malformed_slot_name);
    RUN(tracker_should_refuse_two_nodes_with_one_slot);
    RUN(tracker_should_refuse_values_of_the_wrong_hdf5_type);
    RUN(tracker_should_refuse_the_corrupt_complex_atom);
    RUN(tracker_should_refuse_an_unknown_container_tag);
    RUN(tracker_should_refuse_a_relative_reference_path);
    RUN(tracker_should_refuse_references_to_missing_unfinished_or_atom_nodes);
    RUN(tracker_should_refuse_references_to_references);
    RUN(tracker_should_refuse_a_container_tag_without_its_group);
    RUN(tracker_should_report_a_group_that_never_got_its_container_attribute);
    RUN(tracker_should_refuse_children_after_the_container_attribute);
    RUN(tracker_should_report_a_storage_hint_without_its_dataset);
    RUN(tracker_should_refuse_a_storage_hint_dataset_of_the_wrong_type);
    RUN(tracker_should_refuse_stray_objects_and_changes_in_the_tree);
    RUN(tracker_should_refuse_changes_to_a_sealed_tree_and_finish_clean);
    RUN(tracker_should_undo_the_last_incomplete_node_when_it_is_deleted);
    RUN(tracker_should_refuse_a_second_root_and_report_a_missing_one);
    RUN(tracker_should_report_plain_root_attributes_written_before_the_root);
    RUN(tracker_should_refuse_a_v2_container_attribute_without_placeholder);
    RUN(tracker_should_refuse_a_v2_dataset_of_the_wrong_type);
    RUN(tracker_should_refuse_a_v1_reference_in_the_v2_spelling);
    return test_summary();
}
