/* Integrity records (spec §12) that the application sets as object comments, kept until the
 * connector writes the object's annotation, so that the comment is written once as
 * "<record>; <annotation>".
 *
 * Why not read-modify-write: our saver sets a group's record just before the group's node
 * completes, and the connector annotates the group right after. Reading the comment back
 * before each write, and writing it twice, cost 5-10% of a save of many small containers (a
 * comment read is an object-header lookup; a comment that grows moves header messages).
 * Here a record costs no HDF5 call until the annotation writes both; the records of objects
 * annotated before their record arrived (datasets are annotated when created, their record
 * follows their data) are merged with the comment already there when the file is flushed
 * or closed. The map lives as long as the file is open for writing: a later annotation of
 * the same object (a shared object's reference count grew, "/" at every close) keeps its
 * record. Built only with the validator (without it the connector writes no annotations,
 * and records pass through unchanged). */
#include "jxvol_internal.h"

#include <stdlib.h>
#include <string.h>

#include "jxv_integrity.h"
#include "jxv_internal.h"

typedef struct record_entry {
    char record[JXV_RECORD_CAP];
    int merged; /* written into the object's comment (with or after its annotation) */
    char path[]; /* the map's key */
} record_entry;

struct jxvol_records {
    jxv_map map;
    record_entry **entries; /* every entry, for the flush and for freeing */
    size_t n, cap;
};

int jxvol_records_put(jxvol_file_state *fs, const char *path, const char *record)
{
    if (!fs->records) {
        fs->records = calloc(1, sizeof *fs->records);
        if (!fs->records)
            return -1;
        jxv__map_init(&fs->records->map);
    }
    jxvol_records *r = fs->records;
    size_t plen = strlen(path);
    record_entry *e = jxv__map_get(&r->map, path, plen);
    if (!e) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 64;
            record_entry **v = realloc(r->entries, cap * sizeof *v);
            if (!v)
                return -1;
            r->entries = v;
            r->cap = cap;
        }
        e = malloc(sizeof *e + plen + 1);
        if (!e)
            return -1;
        memcpy(e->path, path, plen + 1);
        if (jxv__map_put(&r->map, e->path, plen, e) < 0) {
            free(e);
            return -1;
        }
        r->entries[r->n++] = e;
    }
    snprintf(e->record, sizeof e->record, "%.*s", JXV_RECORD_CAP - 1, record);
    e->merged = 0;
    return 0;
}

const char *jxvol_records_take(jxvol_file_state *fs, const char *path)
{
    if (!fs->records || !path)
        return NULL;
    record_entry *e = jxv__map_get(&fs->records->map, path, strlen(path));
    if (!e)
        return NULL;
    e->merged = 1;
    return e->record;
}

void jxvol_records_flush(jxvol_file_state *fs, int (*merge)(const char *path, const char *record,
                                                            void *ud),
                         void *ud)
{
    if (!fs->records)
        return;
    for (size_t i = 0; i < fs->records->n; i++) {
        record_entry *e = fs->records->entries[i];
        if (!e->merged && merge(e->path, e->record, ud) == 0)
            e->merged = 1;
    }
}

void jxvol_records_free(jxvol_file_state *fs)
{
    jxvol_records *r = fs->records;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->entries[i]);
    free(r->entries);
    jxv__map_free(&r->map);
    free(r);
    fs->records = NULL;
}
