/* VOL 'object' class (H5O*, H5Rdereference): forwarded to the under connector. object_copy
 * is shown to the validator first and needs both of its objects unwrapped; a comment with an
 * integrity record keeps the annotation already there (jxvol_v_object_optional). */
#include "jxvol_internal.h"

void *jxvol_object_open(void *obj, const H5VL_loc_params_t *loc_params, H5I_type_t *opened_type,
                        hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    void *under = H5VLobject_open(o->under_object, loc_params, o->under_vol_id, opened_type,
                                  dxpl_id, NULL);
    if (!under)
        return NULL;
    /* By name we know where we are; by token or index we do not (yet). */
    char *path = loc_params->type == H5VL_OBJECT_BY_NAME ? jxvol_loc_path(o, loc_params) : NULL;
    return jxvol_wrap_result(under, o, *opened_type, path, dxpl_id);
}

herr_t jxvol_object_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, const char *src_name,
                         void *dst_obj, const H5VL_loc_params_t *loc_params2, const char *dst_name,
                         hid_t ocpypl_id, hid_t lcpl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *src = src_obj, *dst = dst_obj;
    if (jxvol_v_object_copy(src, loc_params1, src_name, dst, loc_params2, dst_name) < 0)
        return -1;
    return H5VLobject_copy(src->under_object, loc_params1, src_name, dst->under_object,
                           loc_params2, dst_name, src->under_vol_id, ocpypl_id, lcpl_id, dxpl_id,
                           NULL);
}

herr_t jxvol_object_get(void *obj, const H5VL_loc_params_t *loc_params,
                        H5VL_object_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    /* GET_FILE returns the under file object unwrapped: the library looks it up among the
     * open file ids (through get_object) or registers it through wrap_object itself. */
    return H5VLobject_get(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_object_specific(void *obj, const H5VL_loc_params_t *loc_params,
                             H5VL_object_specific_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLobject_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_object_optional(void *obj, const H5VL_loc_params_t *loc_params,
                             H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    herr_t ret;
    if (jxvol_v_object_optional(o, loc_params, args, dxpl_id, &ret)) /* integrity records */
        return ret;
    return H5VLobject_optional(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}
