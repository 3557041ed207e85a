/* Validation of the Jaxon layout (v1.2.0 and v2.x) in an HDF5 file, as used by jaxon-validate. */
#ifndef JAXON_VALIDATE_H
#define JAXON_VALIDATE_H

#include <hdf5.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef JAXON_EXPORT
#if defined(__GNUC__)
#define JAXON_EXPORT __attribute__((visibility("default")))
#else
#define JAXON_EXPORT
#endif
#endif

/* One layout violation: where it is, which rule it breaks, and the offending text. */
typedef struct jaxon_violation {
    const char *path;    /* HDF5 path of the object or attribute ("/JAXON_ROOT/'a'@attr") */
    const char *rule;    /* stable rule identifier, e.g. "slot-name", "ref-target" */
    const char *text;    /* the offending name or value text (may be truncated), or "" */
    const char *message; /* a sentence explaining what was expected */
} jaxon_violation;

/* Called once per violation found; return non-zero to stop the check early. */
typedef int (*jaxon_violation_fn)(const jaxon_violation *v, void *user_data);

/* Checks the whole layout of an open file; returns the number of violations or -1 on HDF5 error. */
JAXON_EXPORT long jaxon_validate_file(hid_t file_id, jaxon_violation_fn on_violation, void *user_data);

#ifdef __cplusplus
}
#endif
#endif /* JAXON_VALIDATE_H */
