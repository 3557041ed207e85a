/* The jaxon HDF5 VOL connector: a pass-through connector that validates and annotates the
 * Jaxon layout. Load it as a plugin (HDF5_PLUGIN_PATH + HDF5_VOL_CONNECTOR=jaxon) or register
 * it from C with jaxon_vol_register(). */
#ifndef JAXON_VOL_H
#define JAXON_VOL_H

#include <hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define JAXON_EXPORT __attribute__((visibility("default")))
#else
#define JAXON_EXPORT
#endif

/* The connector's registered name; HDF5_VOL_CONNECTOR and H5VLget_connector_name use it. */
#define JAXON_VOL_NAME "jaxon"
/* The connector's class value, from the range HDF5 sets aside for unregistered connectors. */
#define JAXON_VOL_VALUE ((H5VL_class_value_t)311)
/* Version of the connector, reported in the root annotation. */
#define JAXON_VOL_VERSION_STRING "0.1.0"

/* Validation modes selectable with "validate=<mode>" in the info string. */
typedef enum jaxon_validate_mode {
    JAXON_VALIDATE_STRICT = 0, /* violations fail the HDF5 call (writes) or the open (reads) */
    JAXON_VALIDATE_WARN = 1,   /* violations are printed on stderr; the call goes on */
    JAXON_VALIDATE_OFF = 2     /* pure pass-through */
} jaxon_validate_mode;

/* Registers the connector in this process (idempotent) and returns its id, or H5I_INVALID_HID. */
JAXON_EXPORT hid_t jaxon_vol_register(void);

/* The connector's HDF5 error class (H5I_INVALID_HID before the connector is initialised).
 * A layout violation that fails an HDF5 call leaves, per violation, a frame with the
 * sentence people read, followed by a frame of this class whose minor message is the rule's
 * stable name (docs/validation.md, e.g. "index-order") and whose description is the HDF5
 * path of the violation ("<group>@<attribute>" for attributes). Programs select our
 * frames by this class id, never by the class name. */
JAXON_EXPORT hid_t jaxon_vol_error_class(void);

#ifdef __cplusplus
}
#endif
#endif /* JAXON_VOL_H */
