/* VOL 'group' class: forwarded to the under connector; group_create is shown to the
 * validator first. Mount needs the child file unwrapped. */
#include "jxvol_internal.h"

void *jxvol_group_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                         hid_t lcpl_id, hid_t gcpl_id, hid_t gapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    if (jxvol_v_group_create(o, loc_params, name) < 0)
        return NULL;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->group_cls.create(o->under_object, loc_params, name, lcpl_id, gcpl_id,
                                            gapl_id, dxpl_id, NULL)
                     : H5VLgroup_create(o->under_object, loc_params, o->under_vol_id, name,
                                        lcpl_id, gcpl_id, gapl_id, dxpl_id, NULL);
    /* name is NULL for H5Gcreate_anon: no path until the group is linked. */
    jxvol_obj *g = jxvol_wrap_result(under, o, H5I_GROUP, jxvol_child_path(o, loc_params, name),
                                     dxpl_id);
    jxvol_v_annotate_completed(g ? g : o, g != NULL, H5I_GROUP, dxpl_id);
    return g;
}

void *jxvol_group_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                       hid_t gapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->group_cls.open(o->under_object, loc_params, name, gapl_id, dxpl_id, NULL)
                     : H5VLgroup_open(o->under_object, loc_params, o->under_vol_id, name, gapl_id,
                                      dxpl_id, NULL);
    return jxvol_wrap_result(under, o, H5I_GROUP, jxvol_child_path(o, loc_params, name), dxpl_id);
}

herr_t jxvol_group_get(void *obj, H5VL_group_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLgroup_get(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_group_specific(void *obj, H5VL_group_specific_args_t *args, hid_t dxpl_id,
                            void **req)
{
    jxvol_obj *o = obj;
    if (args->op_type == H5VL_GROUP_MOUNT) {
        /* The child file arrives as our wrapper: hand the under connector its own object,
         * through a copy of the arguments so the caller's struct is left as it was. */
        H5VL_group_specific_args_t under_args = *args;
        const jxvol_obj *child = args->args.mount.child_file;
        under_args.args.mount.child_file = child->under_object;
        return H5VLgroup_specific(o->under_object, o->under_vol_id, &under_args, dxpl_id, NULL);
    }
    return H5VLgroup_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_group_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLgroup_optional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_group_close(void *grp, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = grp;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    herr_t ret = uc ? uc->group_cls.close(o->under_object, dxpl_id, NULL)
                    : H5VLgroup_close(o->under_object, o->under_vol_id, dxpl_id, NULL);
    if (ret >= 0)
        jxvol_obj_free(o);
    return ret;
}
