/* VOL 'blob' class: variable-length data and vlen strings are stored through these on the
 * file's object (h5py attributes are vlen strings), so they are forwarded unchanged. */
#include "jxvol_internal.h"

herr_t jxvol_blob_put(void *obj, const void *buf, size_t size, void *blob_id, void *ctx)
{
    jxvol_obj *o = obj;
    return H5VLblob_put(o->under_object, o->under_vol_id, buf, size, blob_id, ctx);
}

herr_t jxvol_blob_get(void *obj, const void *blob_id, void *buf, size_t size, void *ctx)
{
    jxvol_obj *o = obj;
    return H5VLblob_get(o->under_object, o->under_vol_id, blob_id, buf, size, ctx);
}

herr_t jxvol_blob_specific(void *obj, void *blob_id, H5VL_blob_specific_args_t *args)
{
    jxvol_obj *o = obj;
    return H5VLblob_specific(o->under_object, o->under_vol_id, blob_id, args);
}

herr_t jxvol_blob_optional(void *obj, void *blob_id, H5VL_optional_args_t *args)
{
    jxvol_obj *o = obj;
    return H5VLblob_optional(o->under_object, o->under_vol_id, blob_id, args);
}
