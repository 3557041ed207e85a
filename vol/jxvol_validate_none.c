/* Stand-in for jxvol_validate.c when the connector is built with -DJAXON_VOL_VALIDATION=OFF:
 * a pure pass-through, every hook accepts and nothing is tracked. */
#include "jxvol_internal.h"

int jxvol_v_rule_msgs_create(hid_t cls) { (void)cls; return 0; }
void jxvol_v_rule_msgs_close(void) {}
int jxvol_v_tracker_new(jxvol_file_state *fs) { fs->tracker = NULL; return 0; }
void jxvol_v_tracker_free(jxvol_file_state *fs) { (void)fs; }
int jxvol_v_group_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name) { return 0; }
int jxvol_v_dataset_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                           hid_t type_id, hid_t space_id) { return 0; }
int jxvol_v_datatype_commit(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name) { return 0; }
int jxvol_v_attr_create(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name,
                        hid_t type_id, hid_t space_id, long long *npoints, int *skip)
{ *npoints = -1; *skip = 1; return 0; }
int jxvol_v_attr_write(const jxvol_obj *attr, hid_t mem_type_id, const void *buf) { return 0; }
int jxvol_v_attr_rename(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *old_name,
                        const char *new_name) { return 0; }
int jxvol_v_attr_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp, const char *name) { return 0; }
int jxvol_v_link_create(const H5VL_link_create_args_t *args, const jxvol_obj *o,
                        const H5VL_loc_params_t *lp, const jxvol_obj *curr) { return 0; }
int jxvol_v_link_move(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const jxvol_obj *dst,
                      const H5VL_loc_params_t *lp2, int is_copy) { return 0; }
int jxvol_v_object_copy(const jxvol_obj *src, const H5VL_loc_params_t *lp1, const char *src_name,
                        const jxvol_obj *dst, const H5VL_loc_params_t *lp2, const char *dst_name) { return 0; }
int jxvol_v_link_delete(const jxvol_obj *o, const H5VL_loc_params_t *lp) { return 0; }
void jxvol_v_annotate_completed(const jxvol_obj *o, int ok, H5I_type_t obj_type, hid_t dxpl_id) {}
int jxvol_v_object_optional(const jxvol_obj *o, const H5VL_loc_params_t *lp,
                            H5VL_optional_args_t *args, hid_t dxpl_id, herr_t *ret) { return 0; }
int jxvol_v_file_finish(jxvol_obj *file, hid_t dxpl_id, int at_close) { return 0; }
int jxvol_v_check_existing(const char *filename, unsigned flags, hid_t fapl_id, hid_t scratch_fapl,
                           const jxvol_info *info, int probe_only, int *layout)
{ *layout = 0; return 0; }
void jxvol_v_seal(jxvol_file_state *fs, int layout) { (void)fs; (void)layout; }
