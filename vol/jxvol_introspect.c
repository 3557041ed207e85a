/* VOL 'introspect' class. All three callbacks are load-bearing for a pass-through:
 * get_conn_cls(TERM) feeds H5VLobject_is_native and the 1.10-API calls h5py uses;
 * opt_query answers the POST_OPEN query made by every H5Fcreate/H5Fopen and the tools'
 * comment queries; get_cap_flags may be called with a NULL info. */
#include "jxvol_internal.h"

herr_t jxvol_introspect_get_conn_cls(void *obj, H5VL_get_conn_lvl_t lvl,
                                     const H5VL_class_t **conn_cls)
{
    if (lvl == H5VL_GET_CONN_LVL_CURR) {
        *conn_cls = jxvol_get_class();
        return 0;
    }
    const jxvol_obj *o = obj;
    return H5VLintrospect_get_conn_cls(o->under_object, o->under_vol_id, lvl, conn_cls);
}

herr_t jxvol_introspect_get_cap_flags(const void *_info, uint64_t *cap_flags)
{
    const jxvol_info *info = _info;
    herr_t ret;
    if (info) {
        ret = H5VLintrospect_get_cap_flags(info->under_vol_info, info->under_vol_id, cap_flags);
    } else {
        /* No info (HDF5_VOL_CONNECTOR=jaxon): we stack on native, so report its flags. */
        ret = H5VLintrospect_get_cap_flags(NULL, H5VL_NATIVE, cap_flags);
    }
    if (ret >= 0)
        *cap_flags |= jxvol_get_class()->cap_flags;
    return ret;
}

herr_t jxvol_introspect_opt_query(void *obj, H5VL_subclass_t cls, int opt_type, uint64_t *flags)
{
    const jxvol_obj *o = obj;
    return H5VLintrospect_opt_query(o->under_object, o->under_vol_id, cls, opt_type, flags);
}
