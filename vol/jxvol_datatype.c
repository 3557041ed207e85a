/* VOL 'datatype' class (committed datatypes): forwarded to the under connector; commits are
 * shown to the validator first because they create a link in the Jaxon tree. */
#include "jxvol_internal.h"

void *jxvol_datatype_commit(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                            hid_t type_id, hid_t lcpl_id, hid_t tcpl_id, hid_t tapl_id,
                            hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    if (jxvol_v_datatype_commit(o, loc_params, name) < 0)
        return NULL;
    void *under = H5VLdatatype_commit(o->under_object, loc_params, o->under_vol_id, name, type_id,
                                      lcpl_id, tcpl_id, tapl_id, dxpl_id, NULL);
    return jxvol_wrap_result(under, o, H5I_DATATYPE, jxvol_child_path(o, loc_params, name), dxpl_id);
}

void *jxvol_datatype_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                          hid_t tapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    void *under = H5VLdatatype_open(o->under_object, loc_params, o->under_vol_id, name, tapl_id,
                                    dxpl_id, NULL);
    return jxvol_wrap_result(under, o, H5I_DATATYPE, jxvol_child_path(o, loc_params, name), dxpl_id);
}

herr_t jxvol_datatype_get(void *obj, H5VL_datatype_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLdatatype_get(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_datatype_specific(void *obj, H5VL_datatype_specific_args_t *args, hid_t dxpl_id,
                               void **req)
{
    jxvol_obj *o = obj;
    return H5VLdatatype_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_datatype_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLdatatype_optional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_datatype_close(void *dt, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = dt;
    herr_t ret = H5VLdatatype_close(o->under_object, o->under_vol_id, dxpl_id, NULL);
    if (ret >= 0)
        jxvol_obj_free(o);
    return ret;
}
