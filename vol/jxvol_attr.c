/* VOL 'attribute' class: forwarded to the under connector. Creates, writes of string values,
 * renames and deletes are shown to the validator first. Attribute wrappers remember the path
 * of the object they are on and their own name, because attr_write receives neither. */
#include "jxvol_internal.h"

#include <stdlib.h>
#include <string.h>

void *jxvol_attr_create(void *obj, const H5VL_loc_params_t *loc_params, const char *attr_name,
                        hid_t type_id, hid_t space_id, hid_t acpl_id, hid_t aapl_id, hid_t dxpl_id,
                        void **req)
{
    jxvol_obj *o = obj;
    long long npoints = -1;
    int skip = 0;
    if (jxvol_v_attr_create(o, loc_params, attr_name, type_id, space_id, &npoints, &skip) < 0)
        return NULL;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->attr_cls.create(o->under_object, loc_params, attr_name, type_id,
                                           space_id, acpl_id, aapl_id, dxpl_id, NULL)
                     : H5VLattr_create(o->under_object, loc_params, o->under_vol_id, attr_name,
                                       type_id, space_id, acpl_id, aapl_id, dxpl_id, NULL);
    /* The path and the name only serve the checks of attr_write. In the common case (an
     * attribute on the location itself) both go into one allocation. */
    char *path = NULL;
    int name_in_path = 0;
    if (!skip && under) {
        if (loc_params->type == H5VL_OBJECT_BY_SELF && o->path && attr_name) {
            size_t pl = strlen(o->path), nl = strlen(attr_name);
            if ((path = malloc(pl + nl + 2))) {
                memcpy(path, o->path, pl + 1);
                memcpy(path + pl + 1, attr_name, nl + 1);
                name_in_path = 1;
            }
        } else {
            path = jxvol_loc_path(o, loc_params);
        }
    }
    jxvol_obj *a = jxvol_wrap_result(under, o, H5I_ATTR, path, dxpl_id);
    /* A v2 node is complete at its attribute's create: annotate what it completed. */
    jxvol_v_annotate_completed(a ? a : o, a != NULL, H5I_ATTR, dxpl_id);
    if (a) {
        a->npoints = npoints; /* a dataspace is fixed at create: attr_write need not ask */
        a->v_skip = skip;
        if (name_in_path) {
            a->attr_name = a->path + strlen(a->path) + 1;
            a->attr_name_in_path = 1;
        } else if (attr_name && !skip) {
            a->attr_name = strdup(attr_name); /* best effort: a missing name only skips checks */
        }
    }
    return a;
}

void *jxvol_attr_open(void *obj, const H5VL_loc_params_t *loc_params, const char *attr_name,
                      hid_t aapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->attr_cls.open(o->under_object, loc_params, attr_name, aapl_id,
                                         dxpl_id, NULL)
                     : H5VLattr_open(o->under_object, loc_params, o->under_vol_id, attr_name,
                                     aapl_id, dxpl_id, NULL);
    /* By-index opens (attr_name NULL) have a parent but no name: attr_write looks it up. */
    char *path = loc_params->type == H5VL_OBJECT_BY_IDX
                     ? jxvol_path_join(o->path, loc_params->loc_data.loc_by_idx.name)
                     : jxvol_loc_path(o, loc_params);
    jxvol_obj *a = jxvol_wrap_result(under, o, H5I_ATTR, path, dxpl_id);
    if (a && attr_name)
        a->attr_name = strdup(attr_name);
    return a;
}

herr_t jxvol_attr_read(void *attr, hid_t mem_type_id, void *buf, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = attr;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->attr_cls.read(o->under_object, mem_type_id, buf, dxpl_id, NULL)
              : H5VLattr_read(o->under_object, o->under_vol_id, mem_type_id, buf, dxpl_id, NULL);
}

herr_t jxvol_attr_write(void *attr, hid_t mem_type_id, const void *buf, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = attr;
    if (jxvol_v_attr_write(o, mem_type_id, buf) < 0) {
        /* the tracker may have completed a node before the whole-tree check refused: forget */
        jxvol_v_annotate_completed(o, 0, H5I_ATTR, dxpl_id);
        return -1;
    }
    const H5VL_class_t *uc = jxvol_under_cls(o);
    herr_t ret = uc ? uc->attr_cls.write(o->under_object, mem_type_id, buf, dxpl_id, NULL)
                    : H5VLattr_write(o->under_object, o->under_vol_id, mem_type_id, buf,
                                     dxpl_id, NULL);
    /* A v1 node is complete once its text is written: annotate its group now, one link away
     * from the attribute's object and fresh in the cache. */
    jxvol_v_annotate_completed(o, ret >= 0, H5I_ATTR, dxpl_id);
    return ret;
}

herr_t jxvol_attr_get(void *obj, H5VL_attr_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->attr_cls.get(o->under_object, args, dxpl_id, NULL)
              : H5VLattr_get(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_attr_specific(void *obj, const H5VL_loc_params_t *loc_params,
                           H5VL_attr_specific_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    if (args->op_type == H5VL_ATTR_RENAME &&
        jxvol_v_attr_rename(o, loc_params, args->args.rename.old_name,
                            args->args.rename.new_name) < 0)
        return -1;
    if (args->op_type == H5VL_ATTR_DELETE &&
        jxvol_v_attr_delete(o, loc_params, args->args.del.name) < 0)
        return -1;
    /* H5VL_ATTR_ITER needs nothing: the library wraps the location id it passes to the
     * application's callback through our wrap_object. */
    return H5VLattr_specific(o->under_object, loc_params, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_attr_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLattr_optional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_attr_close(void *attr, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = attr;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    herr_t ret = uc ? uc->attr_cls.close(o->under_object, dxpl_id, NULL)
                    : H5VLattr_close(o->under_object, o->under_vol_id, dxpl_id, NULL);
    /* On failure the library keeps the id, so the wrapper must stay valid. */
    if (ret >= 0)
        jxvol_obj_free(o);
    return ret;
}
