/* The jaxon VOL connector: class table, initialize/terminate, our HDF5 error class, the two
 * plugin entry points and jaxon_vol_register(). Only those three symbols leave the .so
 * (the library is compiled with hidden visibility). */
#include "jxvol_internal.h"

#include <H5PLextern.h>

/* Error class and message ids. This is the connector's only mutable static: the ids are
 * created in initialize and released in terminate, which the library calls under its global
 * lock, and HDF5 needs a registered class to show our messages on its error stack. */
static struct {
    hid_t cls, major, min_args, min_layout, min_nomem, min_under;
} jxvol_errors = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID,
                  H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID};

hid_t jxvol_err_class(void) { return jxvol_errors.cls; }
JAXON_EXPORT hid_t jaxon_vol_error_class(void) { return jxvol_errors.cls; }
hid_t jxvol_err_major(void) { return jxvol_errors.major; }
hid_t jxvol_err_min_args(void) { return jxvol_errors.min_args; }
hid_t jxvol_err_min_layout(void) { return jxvol_errors.min_layout; }
hid_t jxvol_err_min_nomem(void) { return jxvol_errors.min_nomem; }
hid_t jxvol_err_min_under(void) { return jxvol_errors.min_under; }

hid_t jxvol_stack_save(void)
{
    ssize_t used = H5Eget_num(H5E_DEFAULT); /* does not clear the stack */
    return used > 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
}

void jxvol_stack_restore(hid_t saved)
{
    if (saved >= 0)
        H5Eset_current_stack(saved); /* also releases the saved copy */
    else if (H5Eget_num(H5E_DEFAULT) > 0)
        H5Eclear2(H5E_DEFAULT);
}

size_t jxvol_err_room(void)
{
    ssize_t used = H5Eget_num(H5E_DEFAULT); /* does not clear the stack */
    if (used < 0)
        return 0;
    ssize_t room = JXVOL_ERR_SLOTS - JXVOL_ERR_RESERVED - used;
    return room > 0 ? (size_t)room : 0;
}

static herr_t jxvol_terminate(void)
{
    /* Entries of the default error stack hold references to our class and messages; left in
     * place they keep HDF5's error package from shutting down ("infinite loop closing
     * library"). The connector is going away, so its messages go with it. */
    if (jxvol_errors.cls >= 0)
        H5Eclear2(H5E_DEFAULT);
    jxvol_v_rule_msgs_close();
    hid_t *msgs[] = {&jxvol_errors.major, &jxvol_errors.min_args, &jxvol_errors.min_layout,
                     &jxvol_errors.min_nomem, &jxvol_errors.min_under};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        if (*msgs[i] >= 0)
            H5Eclose_msg(*msgs[i]);
        *msgs[i] = H5I_INVALID_HID;
    }
    if (jxvol_errors.cls >= 0)
        H5Eunregister_class(jxvol_errors.cls);
    jxvol_errors.cls = H5I_INVALID_HID;
    return 0;
}

static herr_t jxvol_initialize(hid_t vipl_id)
{
    if (jxvol_errors.cls >= 0)
        return 0;
    jxvol_errors.cls = H5Eregister_class("jaxon", "jaxon VOL connector", JAXON_VOL_VERSION_STRING);
    if (jxvol_errors.cls < 0)
        return -1;
    jxvol_errors.major = H5Ecreate_msg(jxvol_errors.cls, H5E_MAJOR, "Jaxon VOL connector");
    jxvol_errors.min_args = H5Ecreate_msg(jxvol_errors.cls, H5E_MINOR, "Invalid connector argument");
    jxvol_errors.min_layout = H5Ecreate_msg(jxvol_errors.cls, H5E_MINOR, "Jaxon layout violation");
    jxvol_errors.min_nomem = H5Ecreate_msg(jxvol_errors.cls, H5E_MINOR, "Out of memory");
    jxvol_errors.min_under = H5Ecreate_msg(jxvol_errors.cls, H5E_MINOR, "Under connector problem");
    if (jxvol_errors.major < 0 || jxvol_errors.min_args < 0 || jxvol_errors.min_layout < 0 ||
        jxvol_errors.min_nomem < 0 || jxvol_errors.min_under < 0 ||
        jxvol_v_rule_msgs_create(jxvol_errors.cls) < 0) {
        jxvol_terminate();
        return -1;
    }
    return 0;
}

/* The class. The request class stays NULL: every callback calls the under connector
 * synchronously (req = NULL), so no request object is ever returned to the library. */
static const H5VL_class_t jxvol_class = {
    .version = H5VL_VERSION,         /* must be 3 for HDF5 1.14 or the plugin is skipped */
    .value = JAXON_VOL_VALUE,        /* 311, in the 256-511 "testing" range */
    .name = JAXON_VOL_NAME,          /* "jaxon": HDF5_VOL_CONNECTOR and dedup key */
    .conn_version = 0,               /* never read by the library */
    .cap_flags = H5VL_CAP_FLAG_NONE, /* the under connector's flags are reported instead */
    .initialize = jxvol_initialize,  /* registers our error class */
    .terminate = jxvol_terminate,    /* releases it */
    .info_cls =
        {
            .size = sizeof(jxvol_info),       /* the library copies info through .copy */
            .copy = jxvol_info_copy,          /* deep copy, one more ref on the under id */
            .cmp = jxvol_info_cmp,            /* mode, then under class, then under info */
            .free = jxvol_info_free,          /* keeps the error stack intact */
            .to_str = jxvol_info_to_str,      /* validate=..;under_vol=..;under_info={..} */
            .from_str = jxvol_info_from_str,  /* our own bounds-checked parser */
        },
    .wrap_cls =
        {
            .get_object = jxvol_get_object,       /* the terminal object, recursively */
            .get_wrap_ctx = jxvol_get_wrap_ctx,   /* under ctx + file state */
            .wrap_object = jxvol_wrap_object,     /* objects the library registers itself */
            .unwrap_object = jxvol_unwrap_object, /* drops our wrapper only */
            .free_wrap_ctx = jxvol_free_wrap_ctx, /* keeps the error stack intact */
        },
    .attr_cls =
        {
            .create = jxvol_attr_create,     /* validated */
            .open = jxvol_attr_open,         /* remembers parent path and name */
            .read = jxvol_attr_read,         /* forwarded */
            .write = jxvol_attr_write,       /* string values validated */
            .get = jxvol_attr_get,           /* forwarded */
            .specific = jxvol_attr_specific, /* rename/delete validated */
            .optional = jxvol_attr_optional, /* forwarded */
            .close = jxvol_attr_close,       /* frees the wrapper on success */
        },
    .dataset_cls =
        {
            .create = jxvol_dataset_create,     /* validated */
            .open = jxvol_dataset_open,         /* forwarded, path recorded */
            .read = jxvol_dataset_read,         /* multi-dataset, count arrays */
            .write = jxvol_dataset_write,       /* multi-dataset, count arrays */
            .get = jxvol_dataset_get,           /* forwarded */
            .specific = jxvol_dataset_specific, /* forwarded */
            .optional = jxvol_dataset_optional, /* native-only operations, forwarded */
            .close = jxvol_dataset_close,       /* frees the wrapper on success */
        },
    .datatype_cls =
        {
            .commit = jxvol_datatype_commit,     /* validated */
            .open = jxvol_datatype_open,         /* forwarded */
            .get = jxvol_datatype_get,           /* forwarded */
            .specific = jxvol_datatype_specific, /* forwarded */
            .optional = jxvol_datatype_optional, /* forwarded */
            .close = jxvol_datatype_close,       /* frees the wrapper on success */
        },
    .file_cls =
        {
            .create = jxvol_file_create,     /* new file state, write tracking */
            .open = jxvol_file_open,         /* new file state; existing files checked */
            .get = jxvol_file_get,           /* forwarded */
            .specific = jxvol_file_specific, /* IS_ACCESSIBLE never fails; flush finishes */
            .optional = jxvol_file_optional, /* forwarded, POST_OPEN included */
            .close = jxvol_file_close,       /* annotations, then close */
        },
    .group_cls =
        {
            .create = jxvol_group_create,     /* validated */
            .open = jxvol_group_open,         /* forwarded, path recorded */
            .get = jxvol_group_get,           /* forwarded */
            .specific = jxvol_group_specific, /* mount child unwrapped */
            .optional = jxvol_group_optional, /* forwarded */
            .close = jxvol_group_close,       /* frees the wrapper on success */
        },
    .link_cls =
        {
            .create = jxvol_link_create,     /* validated; hard-link target unwrapped */
            .copy = jxvol_link_copy,         /* validated; both ends unwrapped */
            .move = jxvol_link_move,         /* validated; both ends unwrapped */
            .get = jxvol_link_get,           /* forwarded */
            .specific = jxvol_link_specific, /* delete validated */
            .optional = jxvol_link_optional, /* forwarded */
        },
    .object_cls =
        {
            .open = jxvol_object_open,         /* forwarded, wrapped with its type */
            .copy = jxvol_object_copy,         /* validated; both ends unwrapped */
            .get = jxvol_object_get,           /* forwarded */
            .specific = jxvol_object_specific, /* forwarded */
            .optional = jxvol_object_optional, /* comments etc., forwarded */
        },
    .introspect_cls =
        {
            .get_conn_cls = jxvol_introspect_get_conn_cls,   /* TERM recurses */
            .get_cap_flags = jxvol_introspect_get_cap_flags, /* NULL info allowed */
            .opt_query = jxvol_introspect_opt_query,         /* forwarded */
        },
    .request_cls = {NULL, NULL, NULL, NULL, NULL, NULL}, /* synchronous only, see above */
    .blob_cls =
        {
            .put = jxvol_blob_put,           /* vlen data, forwarded */
            .get = jxvol_blob_get,           /* forwarded */
            .specific = jxvol_blob_specific, /* forwarded */
            .optional = jxvol_blob_optional, /* forwarded */
        },
    .token_cls =
        {
            .cmp = jxvol_token_cmp,           /* forwarded */
            .to_str = jxvol_token_to_str,     /* forwarded */
            .from_str = jxvol_token_from_str, /* forwarded */
        },
    .optional = jxvol_optional, /* catch-all, forwarded */
};

const H5VL_class_t *jxvol_get_class(void) { return &jxvol_class; }

H5PL_type_t H5PLget_plugin_type(void) { return H5PL_TYPE_VOL; }

/* The library that loads the plugin calls this. Another libhdf5 than ours (the h5py wheel's)
 * gets a class that refuses every file, with one line on stderr, instead of one whose
 * callbacks would feed its ids to our uninitialised copy of HDF5 (jxvol_host.c). noinline:
 * the return address must be the caller's. */
__attribute__((noinline)) const void *H5PLget_plugin_info(void)
{
    return jxvol_host_class(__builtin_return_address(0), &jxvol_class);
}

hid_t jaxon_vol_register(void)
{
    /* Registration deduplicates by name: if the plugin is already loaded (for instance via
     * HDF5_VOL_CONNECTOR) this returns a new reference to the same connector. */
    return H5VLregister_connector(&jxvol_class, H5P_DEFAULT);
}
