/* The one pattern every create/open callback shares: the under connector returned an object,
 * wrap it with the parent's connector id and file state, or close it again if wrapping fails
 * so that no under object (and so no open file) is left behind.
 *
 * About requests: the connector leaves request_cls NULL and always calls the under connector
 * synchronously (req = NULL), so no under request ever needs wrapping. */
#include "jxvol_internal.h"

#include <stdlib.h>

void jxvol_close_under(void *under, hid_t under_vol_id, H5I_type_t type, hid_t dxpl_id)
{
    /* Error path: the caller is about to report a failure, keep the stack. */
    hid_t err = jxvol_stack_save();
    switch (type) {
    case H5I_GROUP: H5VLgroup_close(under, under_vol_id, dxpl_id, NULL); break;
    case H5I_DATASET: H5VLdataset_close(under, under_vol_id, dxpl_id, NULL); break;
    case H5I_DATATYPE: H5VLdatatype_close(under, under_vol_id, dxpl_id, NULL); break;
    case H5I_ATTR: H5VLattr_close(under, under_vol_id, dxpl_id, NULL); break;
    case H5I_FILE: H5VLfile_close(under, under_vol_id, dxpl_id, NULL); break;
    default: break;
    }
    jxvol_stack_restore(err);
}

void *jxvol_wrap_result(void *under_result, const jxvol_obj *parent, H5I_type_t type,
                        char *path_owned, hid_t dxpl_id)
{
    if (!under_result) {
        free(path_owned);
        return NULL;
    }
    jxvol_obj *o = jxvol_obj_new(under_result, parent->under_vol_id, type, parent->fs, NULL);
    if (!o) {
        free(path_owned);
        jxvol_close_under(under_result, parent->under_vol_id, type, dxpl_id);
        return NULL;
    }
    o->path = path_owned; /* ownership moves to the wrapper */
    return o;
}

void jxvol_fs_find_under_cls(jxvol_file_state *fs, void *under_file)
{
    const H5VL_class_t *cls = NULL;
    hid_t err = jxvol_stack_save();
    if (H5VLintrospect_get_conn_cls(under_file, fs->under_vol_id, H5VL_GET_CONN_LVL_CURR, &cls) < 0)
        cls = NULL;
    jxvol_stack_restore(err);
    /* Every callback called through jxvol_under_cls: a class without one of them is only
     * reached through the public entries, which report the missing callback. */
    if (cls && cls->attr_cls.create && cls->attr_cls.open && cls->attr_cls.read &&
        cls->attr_cls.write && cls->attr_cls.get && cls->attr_cls.close &&
        cls->group_cls.create && cls->group_cls.open && cls->group_cls.close &&
        cls->dataset_cls.create && cls->dataset_cls.open && cls->dataset_cls.read &&
        cls->dataset_cls.write && cls->dataset_cls.get && cls->dataset_cls.close &&
        cls->link_cls.create && cls->link_cls.get && cls->link_cls.specific &&
        cls->object_cls.optional)
        fs->under_cls = cls;
}
