/* VOL 'dataset' class: forwarded to the under connector; dataset_create is shown to the
 * validator first. Reads and writes are the 1.14 multi-dataset form (count arrays). */
#include "jxvol_internal.h"

#include <stdlib.h>

void *jxvol_dataset_create(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                           hid_t lcpl_id, hid_t type_id, hid_t space_id, hid_t dcpl_id,
                           hid_t dapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    if (jxvol_v_dataset_create(o, loc_params, name, type_id, space_id) < 0)
        return NULL;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->dataset_cls.create(o->under_object, loc_params, name, lcpl_id, type_id,
                                              space_id, dcpl_id, dapl_id, dxpl_id, NULL)
                     : H5VLdataset_create(o->under_object, loc_params, o->under_vol_id, name,
                                          lcpl_id, type_id, space_id, dcpl_id, dapl_id, dxpl_id,
                                          NULL);
    /* name is NULL for H5Dcreate_anon: no path until the object is linked. A v1 storage
     * hint's dataset completes its node: annotate it while it is open. */
    jxvol_obj *d = jxvol_wrap_result(under, o, H5I_DATASET,
                                     jxvol_child_path(o, loc_params, name), dxpl_id);
    jxvol_v_annotate_completed(d ? d : o, d != NULL, H5I_DATASET, dxpl_id);
    return d;
}

void *jxvol_dataset_open(void *obj, const H5VL_loc_params_t *loc_params, const char *name,
                         hid_t dapl_id, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    void *under = uc ? uc->dataset_cls.open(o->under_object, loc_params, name, dapl_id, dxpl_id,
                                            NULL)
                     : H5VLdataset_open(o->under_object, loc_params, o->under_vol_id, name,
                                        dapl_id, dxpl_id, NULL);
    return jxvol_wrap_result(under, o, H5I_DATASET, jxvol_child_path(o, loc_params, name), dxpl_id);
}

/* Fills under[] with the datasets' under objects and checks that they share one under
 * connector (the library only checks our own connector value). Returns the under connector
 * id, or H5I_INVALID_HID after pushing an error. */
static hid_t unwrap_datasets(size_t count, void *dset[], void *under[])
{
    hid_t uid = ((jxvol_obj *)dset[0])->under_vol_id;
    for (size_t i = 0; i < count; i++) {
        const jxvol_obj *d = dset[i];
        if (d->under_vol_id != uid) {
            JXVOL_PUSH(jxvol_err_min_under(),
                       "multi-dataset I/O: dataset %zu is stacked on a different under connector "
                       "than dataset 0; use separate calls",
                       i);
            return H5I_INVALID_HID;
        }
        under[i] = d->under_object;
    }
    return uid;
}

/* Room for count under objects: *one for a single dataset, a heap array only for
 * multi-dataset calls (free it when it is not one). NULL with the error pushed. */
static void **under_array(size_t count, void **one)
{
    if (count <= 1)
        return one;
    void **under = malloc(count * sizeof *under);
    if (!under)
        JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory for %zu datasets", count);
    return under;
}

herr_t jxvol_dataset_read(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                          hid_t file_space_id[], hid_t dxpl_id, void *buf[], void **req)
{
    void *one;
    if (count == 0)
        return 0;
    void **under = under_array(count, &one);
    if (!under)
        return -1;
    herr_t ret = -1;
    hid_t uid = unwrap_datasets(count, dset, under);
    /* One under connector for all (unwrap_datasets), so dataset 0's class serves them all. */
    const H5VL_class_t *uc = uid >= 0 ? jxvol_under_cls(dset[0]) : NULL;
    if (uc)
        ret = uc->dataset_cls.read(count, under, mem_type_id, mem_space_id, file_space_id,
                                   dxpl_id, buf, NULL);
    else if (uid >= 0)
        ret = H5VLdataset_read(count, under, uid, mem_type_id, mem_space_id, file_space_id,
                               dxpl_id, buf, NULL);
    if (under != &one)
        free(under);
    return ret;
}

herr_t jxvol_dataset_write(size_t count, void *dset[], hid_t mem_type_id[], hid_t mem_space_id[],
                           hid_t file_space_id[], hid_t dxpl_id, const void *buf[], void **req)
{
    void *one;
    if (count == 0)
        return 0;
    void **under = under_array(count, &one);
    if (!under)
        return -1;
    herr_t ret = -1;
    hid_t uid = unwrap_datasets(count, dset, under);
    const H5VL_class_t *uc = uid >= 0 ? jxvol_under_cls(dset[0]) : NULL;
    if (uc)
        ret = uc->dataset_cls.write(count, under, mem_type_id, mem_space_id, file_space_id,
                                    dxpl_id, buf, NULL);
    else if (uid >= 0)
        ret = H5VLdataset_write(count, under, uid, mem_type_id, mem_space_id, file_space_id,
                                dxpl_id, buf, NULL);
    if (under != &one)
        free(under);
    return ret;
}

herr_t jxvol_dataset_get(void *obj, H5VL_dataset_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    return uc ? uc->dataset_cls.get(o->under_object, args, dxpl_id, NULL)
              : H5VLdataset_get(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_dataset_specific(void *obj, H5VL_dataset_specific_args_t *args, hid_t dxpl_id,
                              void **req)
{
    jxvol_obj *o = obj;
    return H5VLdataset_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_dataset_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLdataset_optional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_dataset_close(void *dset, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = dset;
    const H5VL_class_t *uc = jxvol_under_cls(o);
    herr_t ret = uc ? uc->dataset_cls.close(o->under_object, dxpl_id, NULL)
                    : H5VLdataset_close(o->under_object, o->under_vol_id, dxpl_id, NULL);
    if (ret >= 0)
        jxvol_obj_free(o);
    return ret;
}
