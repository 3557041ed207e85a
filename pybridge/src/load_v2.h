/* Reader for the Jaxon v2.x layout (spec §4, §4.12, §9.2, §10.2), entered from load.c's
 * version dispatch when "/" carries the JAXON_VERSION attribute. */
#ifndef JX_LOAD_V2_H
#define JX_LOAD_V2_H

#include "load_internal.h"

/* Rebuilds the pytree of a v2.x file whose root group root is open. New reference, or
 * NULL with JaxonFormatError (with a location), CircularPyTreeException, or an error from
 * user code (unmarshalers, from_jaxon, dill). */
PyObject *jx_load_v2(Loader *L, hid_t root);

#endif /* JX_LOAD_V2_H */
