/* The catch-all 'optional' callback (operations registered with H5VLregister_opt_operation
 * that belong to no subclass): forwarded unchanged. */
#include "jxvol_internal.h"

herr_t jxvol_optional(void *obj, H5VL_optional_args_t *args, hid_t dxpl_id, void **req)
{
    jxvol_obj *o = obj;
    return H5VLoptional(o->under_object, o->under_vol_id, args, dxpl_id, NULL);
}
