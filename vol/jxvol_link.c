/* VOL 'link' class: forwarded to the under connector. Link creation, copy, move and delete
 * are shown to the validator first. Objects passed inside the arguments (the hard-link
 * target, the source and destination of copy/move) are our wrappers and must be unwrapped;
 * any of them may be NULL (H5L_SAME_LOC). */
#include "jxvol_internal.h"

herr_t jxvol_link_create(H5VL_link_create_args_t *args, void *obj,
                         const H5VL_loc_params_t *loc_params, hid_t lcpl_id, hid_t lapl_id,
                         hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    jxvol_obj *curr = args->op_type == H5VL_LINK_CREATE_HARD ? args->args.hard.curr_obj : NULL;
    const jxvol_obj *any = o ? o : curr;
    if (!any) {
        JXVOL_PUSH(jxvol_err_min_args(), "link_create without any location object");
        return -1;
    }
    if (jxvol_v_link_create(args, o, loc_params, curr) < 0)
        return -1;
    /* Forward a copy so the caller's arguments keep pointing at our wrapper. */
    H5VL_link_create_args_t under_args = *args;
    if (curr)
        under_args.args.hard.curr_obj = curr->under_object;
    const H5VL_class_t *uc = jxvol_under_cls(any);
    if (uc && curr && curr->under_vol_id != any->under_vol_id)
        uc = NULL; /* the public entry reports the mismatch */
    return uc ? uc->link_cls.create(&under_args, o ? o->under_object : NULL, loc_params, lcpl_id,
                                    lapl_id, dxpl_id, NULL)
              : H5VLlink_create(&under_args, o ? o->under_object : NULL, loc_params,
                                any->under_vol_id, lcpl_id, lapl_id, dxpl_id, NULL);
}

/* Shared by copy and move, which differ only in the under call. */
static herr_t copy_or_move(void *src_obj, const H5VL_loc_params_t *lp1, void *dst_obj,
                           const H5VL_loc_params_t *lp2, hid_t lcpl_id, hid_t lapl_id,
                           hid_t dxpl_id, int is_copy)
{
    jxvol_obj *src = src_obj, *dst = dst_obj;
    const jxvol_obj *any = src ? src : dst;
    if (!any) {
        JXVOL_PUSH(jxvol_err_min_args(), "link copy/move without any location object");
        return -1;
    }
    if (jxvol_v_link_move(src, lp1, dst, lp2, is_copy) < 0)
        return -1;
    void *usrc = src ? src->under_object : NULL;
    void *udst = dst ? dst->under_object : NULL;
    return is_copy ? H5VLlink_copy(usrc, lp1, udst, lp2, any->under_vol_id, lcpl_id, lapl_id,
                                   dxpl_id, NULL)
                   : H5VLlink_move(usrc, lp1, udst, lp2, any->under_vol_id, lcpl_id, lapl_id,
                                   dxpl_id, NULL);
}

herr_t jxvol_link_copy(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                       const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id,
                       hid_t dxpl_id, void **req)
{
    return copy_or_move(src_obj, loc_params1, dst_obj, loc_params2, lcpl_id, lapl_id, dxpl_id, 1);
}

herr_t jxvol_link_move(void *src_obj, const H5VL_loc_params_t *loc_params1, void *dst_obj,
                       const H5VL_loc_params_t *loc_params2, hid_t lcpl_id, hid_t lapl_id,
                       hid_t dxpl_id, void **req)
{
    return copy_or_move(src_obj, loc_params1, dst_obj, loc_params2, lcpl_id, lapl_id, dxpl_id, 0);
}

herr_t jxvol_link_get(void *obj, const H5VL_loc_params_t *loc_params, H5VL_link_get_args_t *args,
                      hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->link_cls.get(o->under_object, loc_params, args, dxpl_id, NULL)
              : H5VLlink_get(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_link_specific(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_link_specific_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    if (args->op_type == H5VL_LINK_DELETE && jxvol_v_link_delete(o, loc_params) < 0)
        return -1;
    /* H5VL_LINK_ITER: the library wraps the group ids it gives the callback via wrap_object. */
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->link_cls.specific(o->under_object, loc_params, args, dxpl_id, NULL)
              : H5VLlink_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id,
                                  NULL);
}

herr_t jxvol_link_optional(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLlink_optional(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}
