/* VOL 'file' class. create/open build the under connector's fapl from our info and create
 * the shared per-file state (validation mode and tracker). Writes to the file happen only
 * at flush/close (annotations), never inside create/open. The one exception to "do nothing
 * in open but open" is the read-only whole-file check of an existing file, which runs on an
 * independent file id (jxvol_v_check_existing). flush and close first finish the tracker
 * and write the annotations. */
#include "jxvol_internal.h"

#include <stdlib.h>

/* A copy of fapl_id with the under connector in place of ours, or H5I_INVALID_HID. */
static hid_t under_fapl(hid_t fapl_id, const jxvol_info *info)
{
    hid_t fapl = H5Pcopy(fapl_id);
    if (fapl < 0)
        return H5I_INVALID_HID;
    if (H5Pset_vol(fapl, info->under_vol_id, info->under_vol_info) < 0) {
        H5Pclose(fapl);
        return H5I_INVALID_HID;
    }
    return fapl;
}

/* Closes a property list without touching the error stack the caller may be reporting. */
static void close_plist_quietly(hid_t plist)
{
    hid_t err = jxvol_stack_save();
    H5Pclose(plist);
    jxvol_stack_restore(err);
}

/* Shared body of create and open: is_create selects the under call. An existing file is
 * checked here, between the under open and returning our object, because this is the last
 * point where a refusal leaves nothing behind (see jxvol_v_check_existing). */
static void *open_or_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id,
                            hid_t dxpl_id, int is_create)
{
    jxvol_info *info = NULL;
    if (jxvol_info_from_fapl(fapl_id, &info) < 0)
        return NULL;
    hid_t fapl = under_fapl(fapl_id, info);
    if (fapl < 0) {
        jxvol_info_release(info);
        return NULL;
    }
    void *under = is_create ? H5VLfile_create(name, flags, fcpl_id, fapl, dxpl_id, NULL)
                            : H5VLfile_open(name, flags, fapl, dxpl_id, NULL);
    if (!under) {
        close_plist_quietly(fapl);
        jxvol_info_release(info);
        return NULL;
    }
    hid_t under_id = info->under_vol_id;
    jxvol_obj *o = NULL;
    /* An existing file opened for writing must be known as Jaxon or not even without the
     * whole check: its tree is then sealed (jxv_tracker_seal), because the tracker that
     * checks every change never saw it being written. */
    int appending = !is_create && (flags & H5F_ACC_RDWR);
    int layout = 0;
    if (!is_create && (info->open_check || appending) &&
        jxvol_v_check_existing(name, flags, fapl_id, fapl, info, !info->open_check,
                               &layout) < 0) {
        /* strict refusal: the violations are on the stack; close the under file */
    } else {
        jxvol_file_state *fs = jxvol_fs_new(info->mode, under_id, name, !is_create);
        if (fs) {
            fs->report = info->report;
            if (appending)
                jxvol_v_seal(fs, layout);
            fs->writable = is_create || (flags & H5F_ACC_RDWR);
            jxvol_fs_find_under_cls(fs, under);
            o = jxvol_obj_new(under, under_id, H5I_FILE, fs, "/");
            jxvol_fs_unref(fs); /* the wrapper holds it now */
        } else {
            JXVOL_PUSH(jxvol_err_min_nomem(), "out of memory for the state of file \"%s\"", name);
        }
    }
    if (!o)
        jxvol_close_under(under, under_id, H5I_FILE, dxpl_id);
    close_plist_quietly(fapl);
    jxvol_info_release(info);
    return o;
}

void *jxvol_file_create(const char *name, unsigned flags, hid_t fcpl_id, hid_t fapl_id,
                        hid_t dxpl_id, void **req)
{
    return open_or_create(name, flags, fcpl_id, fapl_id, dxpl_id, 1);
}

void *jxvol_file_open(const char *name, unsigned flags, hid_t fapl_id, hid_t dxpl_id, void **req)
{
    return open_or_create(name, flags, H5P_DEFAULT, fapl_id, dxpl_id, 0);
}

herr_t jxvol_file_get(void *obj, H5VL_file_get_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLfile_get(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

/* IS_ACCESSIBLE and DELETE come without an object, only a fapl naming us (the plugin probe
 * after a failed open even passes a NULL info). Forward them to the under connector. */
static herr_t specific_by_fapl(H5VL_file_specific_args_t *args, hid_t dxpl_id)
{
    hid_t *fapl_slot = args->op_type == H5VL_FILE_IS_ACCESSIBLE ? &args->args.is_accessible.fapl_id
                                                                : &args->args.del.fapl_id;
    jxvol_info *info = NULL;
    if (jxvol_info_from_fapl(*fapl_slot, &info) < 0)
        return -1;
    hid_t fapl = under_fapl(*fapl_slot, info);
    herr_t ret = -1;
    if (fapl >= 0) {
        H5VL_file_specific_args_t under_args = *args;
        if (args->op_type == H5VL_FILE_IS_ACCESSIBLE)
            under_args.args.is_accessible.fapl_id = fapl;
        else
            under_args.args.del.fapl_id = fapl;
        ret = H5VLfile_specific(NULL, info->under_vol_id, &under_args, dxpl_id, NULL);
        close_plist_quietly(fapl);
    }
    jxvol_info_release(info);
    return ret;
}

herr_t jxvol_file_specific(void *obj, H5VL_file_specific_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    switch (args->op_type) {
    case H5VL_FILE_IS_ACCESSIBLE: {
        /* The library probes every plugin on HDF5_PLUGIN_PATH after a failed open. This must
         * never fail nor leave messages behind, or the application's ordinary "file not
         * found" error is replaced: answer "not accessible" unless the under connector says
         * otherwise, and restore the stack exactly as it was. */
        hbool_t *accessible = args->args.is_accessible.accessible;
        hid_t err = jxvol_stack_save();
        hbool_t answer = 0;
        H5VL_file_specific_args_t probe = *args;
        probe.args.is_accessible.accessible = &answer;
        if (specific_by_fapl(&probe, dxpl_id) < 0)
            answer = 0;
        *accessible = answer;
        jxvol_stack_restore(err);
        return 0;
    }
    case H5VL_FILE_DELETE:
        return specific_by_fapl(args, dxpl_id);
    case H5VL_FILE_FLUSH: {
        int finish = jxvol_v_file_finish(o, dxpl_id, 0);
        herr_t ret = H5VLfile_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
        return finish < 0 ? -1 : ret;
    }
    case H5VL_FILE_REOPEN: {
        /* The new file object comes back unwrapped: wrap it, sharing this file's state. */
        herr_t ret = H5VLfile_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
        if (ret < 0)
            return ret;
        void *under = *args->args.reopen.file;
        jxvol_obj *n = jxvol_obj_new(under, o->under_vol_id, H5I_FILE, o->fs, "/");
        if (!n) {
            jxvol_close_under(under, o->under_vol_id, H5I_FILE, dxpl_id);
            *args->args.reopen.file = NULL;
            return -1;
        }
        *args->args.reopen.file = n;
        return 0;
    }
    case H5VL_FILE_IS_EQUAL:
        /* The library already passes the terminal object as obj2. */
    default:
        return H5VLfile_specific(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
    }
}

herr_t jxvol_file_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    /* POST_OPEN included: read validation already ran in file_open (a failure here would
     * leave the application's new file id registered). */
    return H5VLfile_optional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}

herr_t jxvol_file_close(void *file, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = file;
    /* Annotations must be written before the under file goes away. The whole-tree check
     * never fails a close: the library would keep the id of a file whose close failed. */
    if (!o->fs || !o->fs->close_failed)
        jxvol_v_file_finish(o, dxpl_id, 1);
    herr_t ret = H5VLfile_close(o->under_object, o->under_vol_id, dxpl_id, NULL);
    if (ret < 0) {
        if (o->fs)
            o->fs->close_failed = 1;
        return ret; /* the library keeps the id: the wrapper must stay valid */
    }
    jxvol_obj_free(o);
    return 0;
}
