/* The plugin exports exactly its three entry points; everything else is hidden, so two
 * connectors built from similar code can never bind to each other's symbols. */
#include "test.h"

static void vol_plugin_should_export_only_its_entry_points(void)
{
    const char *lib = getenv("JAXON_VOL_PLUGIN");
    ASSERT_TRUE(lib && *lib);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s'", lib);
    FILE *p = popen(cmd, "r");
    ASSERT_TRUE(p != NULL);
    char line[512];
    int found = 0, others = 0;
    while (fgets(line, sizeof line, p)) {
        char addr[64], kind[8], sym[400];
        if (sscanf(line, "%63s %7s %399s", addr, kind, sym) != 3)
            continue;
        if (strcmp(kind, "T") != 0 && strcmp(kind, "D") != 0 && strcmp(kind, "B") != 0 &&
            strcmp(kind, "R") != 0)
            continue; /* weak / absolute linker symbols */
        if (!strcmp(sym, "H5PLget_plugin_type") || !strcmp(sym, "H5PLget_plugin_info") ||
            !strcmp(sym, "jaxon_vol_register") || !strcmp(sym, "jaxon_vol_error_class")) {
            found++;
        } else {
            fprintf(stderr, "  unexpected export: %s", line);
            others++;
        }
    }
    ASSERT_EQ_INT(pclose(p), 0);
    ASSERT_EQ_INT(found, 4);
    ASSERT_EQ_INT(others, 0);
}

int main(void)
{
    RUN(vol_plugin_should_export_only_its_entry_points);
    return test_summary();
}
