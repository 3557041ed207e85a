/* The save-side identity memo: a pointer-keyed open-addressing table (after CPython's
 * PyMemoTable in Modules/_pickle.c) that holds a strong reference to every object it records,
 * so no address can be reused by another object while a save runs.
 *
 * Identity and cycle rules:
 *  - a referenceable node is recorded *before* its children are walked, in state IN_PROGRESS;
 *    meeting it again in that state is a cycle (CircularPyTreeException);
 *  - when its own attribute has been written it becomes DONE with its reference path; every
 *    later occurrence is written as a reference to that path.
 * Paths live in one growing arena (offset + length), not in one allocation per node. */
#ifndef JX_MEMO_H
#define JX_MEMO_H

#include <Python.h>

typedef struct JxMemoEntry {
    PyObject *key;       /* strong reference; NULL marks an empty slot */
    Py_ssize_t path_off; /* -1 while in progress */
    Py_ssize_t path_len;
    Py_ssize_t refs;     /* how many references were written to it */
} JxMemoEntry;

typedef struct JxMemo {
    JxMemoEntry *table;
    size_t mask;   /* capacity - 1 (capacity is a power of two) */
    size_t used;
    char *arena;   /* reference paths, not NUL-terminated */
    size_t arena_len, arena_cap;
} JxMemo;

int jx_memo_init(JxMemo *m);
void jx_memo_clear(JxMemo *m); /* drops every reference and frees the memory */
/* The entry for key, or NULL when absent. */
JxMemoEntry *jx_memo_get(JxMemo *m, PyObject *key);
/* Records key as in progress; returns the entry or NULL with MemoryError. */
JxMemoEntry *jx_memo_put(JxMemo *m, PyObject *key);
/* Marks key's entry done with its reference path (copied into the arena). */
int jx_memo_done(JxMemo *m, PyObject *key, const char *path, size_t len);
static inline const char *jx_memo_path(const JxMemo *m, const JxMemoEntry *e)
{
    return m->arena + e->path_off;
}

#endif /* JX_MEMO_H */
