/* Pointer-keyed identity memo with strong references; see memo.h for the rules. */
#include "memo.h"

#include <string.h>

#define MEMO_MIN_SIZE 64

static inline size_t hash_ptr(const void *p)
{
    /* objects are 16-byte aligned: drop the always-zero bits, then mix */
    size_t h = (size_t)p >> 4;
    return h ^ (h >> 17);
}

int jx_memo_init(JxMemo *m)
{
    memset(m, 0, sizeof *m);
    m->table = PyMem_Calloc(MEMO_MIN_SIZE, sizeof(JxMemoEntry));
    if (!m->table) {
        PyErr_NoMemory();
        return -1;
    }
    m->mask = MEMO_MIN_SIZE - 1;
    return 0;
}

void jx_memo_clear(JxMemo *m)
{
    if (m->table) {
        for (size_t i = 0; i <= m->mask; i++)
            Py_XDECREF(m->table[i].key);
        PyMem_Free(m->table);
    }
    PyMem_Free(m->arena);
    memset(m, 0, sizeof *m);
}

static JxMemoEntry *lookup(JxMemoEntry *table, size_t mask, PyObject *key)
{
    size_t i = hash_ptr(key) & mask;
    for (;;) {
        JxMemoEntry *e = &table[i];
        if (e->key == key || e->key == NULL)
            return e;
        i = (i + 1) & mask; /* linear probing: short runs thanks to the load factor <= 1/2 */
    }
}

JxMemoEntry *jx_memo_get(JxMemo *m, PyObject *key)
{
    JxMemoEntry *e = lookup(m->table, m->mask, key);
    return e->key ? e : NULL;
}

static int grow(JxMemo *m)
{
    size_t newcap = (m->mask + 1) * 2;
    JxMemoEntry *t = PyMem_Calloc(newcap, sizeof(JxMemoEntry));
    if (!t) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->table[i].key)
            *lookup(t, newcap - 1, m->table[i].key) = m->table[i];
    }
    PyMem_Free(m->table);
    m->table = t;
    m->mask = newcap - 1;
    return 0;
}

JxMemoEntry *jx_memo_put(JxMemo *m, PyObject *key)
{
    if ((m->used + 1) * 2 > m->mask + 1 && grow(m) < 0)
        return NULL;
    JxMemoEntry *e = lookup(m->table, m->mask, key);
    if (!e->key) {
        e->key = Py_NewRef(key);
        m->used++;
    }
    e->path_off = -1;
    e->path_len = 0;
    e->refs = 0;
    return e;
}

int jx_memo_done(JxMemo *m, PyObject *key, const char *path, size_t len)
{
    JxMemoEntry *e = jx_memo_get(m, key);
    if (!e)
        e = jx_memo_put(m, key);
    if (!e)
        return -1;
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap ? m->arena_cap : 4096;
        while (cap < m->arena_len + len)
            cap *= 2;
        char *a = PyMem_Realloc(m->arena, cap);
        if (!a) {
            PyErr_NoMemory();
            return -1;
        }
        m->arena = a;
        m->arena_cap = cap;
    }
    memcpy(m->arena + m->arena_len, path, len);
    e->path_off = (Py_ssize_t)m->arena_len;
    e->path_len = (Py_ssize_t)len;
    m->arena_len += len;
    return 0;
}
