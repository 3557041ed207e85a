/* VOL 'token' class: object tokens belong to the under connector (h5dump and h5diff compare
 * and print them), so every call is forwarded. */
#include "jxvol_internal.h"

herr_t jxvol_token_cmp(void *obj, const H5O_token_t *token1, const H5O_token_t *token2,
                       int *cmp_value)
{
    jxvol_obj *o = obj;
    return H5VLtoken_cmp(o->under_object, o->under_vol_id, token1, token2, cmp_value);
}

herr_t jxvol_token_to_str(void *obj, H5I_type_t obj_type, const H5O_token_t *token,
                          char **token_str)
{
    jxvol_obj *o = obj;
    return H5VLtoken_to_str(o->under_object, obj_type, o->under_vol_id, token, token_str);
}

herr_t jxvol_token_from_str(void *obj, H5I_type_t obj_type, const char *token_str,
                            H5O_token_t *token)
{
    jxvol_obj *o = obj;
    return H5VLtoken_from_str(o->under_object, obj_type, o->under_vol_id, token_str, token);
}
