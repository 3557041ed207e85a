/* The durable replace behind save(path) (replace.c). */
#ifndef JX_REPLACE_H
#define JX_REPLACE_H

#include "ext.h"

typedef struct JxReplace {
    char *target;   /* the file replaced: path with its own symbolic links followed */
    char *dir;      /* the target's directory */
    char *named;    /* the new file's temporary name, beside the target */
    int committed;  /* renamed over the target */
} JxReplace;

void jx_replace_init(JxReplace *r);
/* Resolves the target, removes temporaries of dead processes and prepares the new file.
 * 0, or -1 with a Python exception. Call jx_replace_finish in every case. */
int jx_replace_begin(JxReplace *r, JxState *st, const char *path);
/* Makes the closed new file durable and renames it over the target. Checks for pending
 * signals first: an interrupted save leaves the target as it was. 0 or -1 with exception. */
int jx_replace_commit(JxReplace *r);
/* Removes whatever is left of an uncommitted new file and frees r. */
void jx_replace_finish(JxReplace *r);

#endif /* JX_REPLACE_H */
