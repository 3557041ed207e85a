/* The jaxon-validate CLI, run through popen: output lines and exit status. The binary's path
 * comes from $JAXON_VALIDATE_BIN (set by CMake). */
#define _POSIX_C_SOURCE 200809L /* popen, pclose */

#include "fixture.h"
#include "test.h"

#include <sys/wait.h>

typedef struct run_result {
    int status;
    char out[8192];
} run_result;

/* Runs "<env> $JAXON_VALIDATE_BIN <args> 2>&1" and captures its output and exit status. */
static int run(const char *env, const char *args, run_result *r)
{
    const char *bin = getenv("JAXON_VALIDATE_BIN");
#ifdef JAXON_VALIDATE_BIN_DEFAULT
    if (!bin || !*bin)
        bin = JAXON_VALIDATE_BIN_DEFAULT;
#endif
    if (!bin)
        return -1;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s' %s 2>&1", env ? env : "", bin, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(r->out, 1, sizeof r->out - 1, p);
    r->out[n] = '\0';
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return 0;
}

static char clean_path[1024], broken_path[1024];

static void write_files(void)
{
    hid_t f = fx_create(fx_path("cli_clean", clean_path, sizeof clean_path));
    hid_t g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "'a'", "int(1)");
    fx_text(g, "'b'", "'x'");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "dict");
    fx_close(f);
    f = fx_create(fx_path("cli_broken", broken_path, sizeof broken_path));
    g = fx_group(f, "JAXON_ROOT");
    fx_text(g, "0", "complex()");
    fx_close(g);
    fx_text(f, "JAXON_ROOT", "list");
    fx_close(f);
}

static void cli_should_print_ok_and_exit_0_for_a_clean_file(void)
{
    run_result r;
    char args[1100], expect[1200];
    snprintf(args, sizeof args, "'%s'", clean_path);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 0);
    snprintf(expect, sizeof expect, "%s: ok (layout v1.2.0, 3 nodes)\n", clean_path);
    ASSERT_STREQ(r.out, expect);
}

static void cli_should_print_each_violation_and_exit_1(void)
{
    run_result r;
    char args[1100], expect[1200];
    snprintf(args, sizeof args, "'%s'", broken_path);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 1);
    snprintf(expect, sizeof expect, "%s: /JAXON_ROOT@0: [atom-text] complex(…): empty complex",
             broken_path);
    ASSERT_CONTAINS(r.out, expect);
    ASSERT_CONTAINS(r.out, ": \xC2\xAB" "complex()\xC2\xBB\n");
}

static void cli_should_exit_2_for_unreadable_files_and_usage_errors(void)
{
    run_result r;
    ASSERT_EQ_INT(run(NULL, "/nonexistent/file.h5", &r), 0);
    ASSERT_EQ_INT(r.status, 2);
    ASSERT_CONTAINS(r.out, "/nonexistent/file.h5: error: cannot open as an HDF5 file");
    char junk[1024];
    FILE *f = fopen(fx_path("cli_junk", junk, sizeof junk), "w");
    ASSERT_TRUE(f != NULL);
    fputs("this is not HDF5\n", f);
    fclose(f);
    char args[1100];
    snprintf(args, sizeof args, "'%s'", junk);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 2);
    ASSERT_CONTAINS(r.out, "error: cannot open as an HDF5 file");
    ASSERT_EQ_INT(run(NULL, "", &r), 0);
    ASSERT_EQ_INT(r.status, 2);
    ASSERT_CONTAINS(r.out, "usage: jaxon-validate");
    ASSERT_EQ_INT(run(NULL, "--bogus x.h5", &r), 0);
    ASSERT_EQ_INT(r.status, 2);
    ASSERT_CONTAINS(r.out, "unknown option --bogus");
}

static void cli_should_report_the_worst_status_of_several_files(void)
{
    run_result r;
    char args[3000];
    snprintf(args, sizeof args, "'%s' '%s'", clean_path, broken_path);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 1);
    ASSERT_CONTAINS(r.out, "ok (layout v1.2.0, 3 nodes)");
    ASSERT_CONTAINS(r.out, "[atom-text]");
    snprintf(args, sizeof args, "'%s' /nonexistent.h5 '%s'", clean_path, broken_path);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 2);
}

static void cli_should_print_help_and_be_silent_when_quiet(void)
{
    run_result r;
    ASSERT_EQ_INT(run(NULL, "--help", &r), 0);
    ASSERT_EQ_INT(r.status, 0);
    ASSERT_CONTAINS(r.out, "Exit status: 0");
    char args[1100];
    snprintf(args, sizeof args, "--quiet '%s'", broken_path);
    ASSERT_EQ_INT(run(NULL, args, &r), 0);
    ASSERT_EQ_INT(r.status, 1);
    ASSERT_STREQ(r.out, "");
}

static void cli_should_ignore_the_vol_connector_of_the_environment(void)
{
    run_result r;
    char args[1100];
    snprintf(args, sizeof args, "'%s'", clean_path);
    ASSERT_EQ_INT(run("HDF5_VOL_CONNECTOR=no_such_connector", args, &r), 0);
    ASSERT_EQ_INT(r.status, 0);
    ASSERT_CONTAINS(r.out, "ok (layout v1.2.0, 3 nodes)");
}

int main(void)
{
    write_files();
    RUN(cli_should_print_ok_and_exit_0_for_a_clean_file);
    RUN(cli_should_print_each_violation_and_exit_1);
    RUN(cli_should_exit_2_for_unreadable_files_and_usage_errors);
    RUN(cli_should_report_the_worst_status_of_several_files);
    RUN(cli_should_print_help_and_be_silent_when_quiet);
    RUN(cli_should_ignore_the_vol_connector_of_the_environment);
    return test_summary();
}
