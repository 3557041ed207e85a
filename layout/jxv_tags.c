/* The one table of the layout's builtin tags (jxv_tags.h). */
#include "jxv_tags.h"

#include <string.h>

static const jxv_tag tags[] = {
    {JXV_NAME_DICT, JXV_TAG_DICT, JXV_D_NONE, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_LIST, JXV_TAG_LIST, JXV_D_NONE, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_TUPLE, JXV_TAG_TUPLE, JXV_D_NONE, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_SET, JXV_TAG_SET, JXV_D_NONE, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_FROZENSET, JXV_TAG_FROZENSET, JXV_D_NONE, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_NDARRAY, JXV_TAG_NONE, JXV_D_NDARRAY, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_JAX, JXV_TAG_NONE, JXV_D_JAX, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_BYTES, JXV_TAG_NONE, JXV_D_BYTES, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_BYTEARRAY, JXV_TAG_NONE, JXV_D_BYTEARRAY, JXV_IN_V1 | JXV_IN_V2},
    {JXV_NAME_MEMORYVIEW, JXV_TAG_NONE, JXV_D_MEMORYVIEW, JXV_IN_V1},
    {JXV_NAME_STR_, JXV_TAG_NONE, JXV_D_STR_, JXV_IN_V2},
    {JXV_NAME_BYTES_, JXV_TAG_NONE, JXV_D_BYTES_, JXV_IN_V2},
    {JXV_NAME_VOID, JXV_TAG_NONE, JXV_D_VOID, JXV_IN_V2},
};

const jxv_tag *jxv_tag_find(int v, const char *s, size_t len)
{
    unsigned want = v == 2 ? JXV_IN_V2 : JXV_IN_V1;
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if ((tags[i].layouts & want) && strlen(tags[i].name) == len &&
            memcmp(tags[i].name, s, len) == 0)
            return &tags[i];
    return NULL;
}

const char *jxv_ctag_name(jxv_ctag tag)
{
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (tag != JXV_TAG_NONE && tags[i].ctag == tag)
            return tags[i].name;
    return "?";
}

const char *jxv_dhint_name(jxv_dhint d)
{
    if (d == JXV_D_DILL)
        return "dill";
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (d != JXV_D_NONE && tags[i].data == d)
            return tags[i].name;
    return "?";
}
