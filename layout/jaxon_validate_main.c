/* jaxon-validate FILE…: checks the Jaxon layout of HDF5 files.
 *
 * Every violation is printed as "FILE: PATH: [rule] message: «text»", a clean file as
 * "FILE: ok (layout v1.2.0, N nodes)". Exit status: 0 all clean, 1 violations found,
 * 2 a file could not be read or the command line is wrong. Files are opened read-only with
 * the native connector so that HDF5_VOL_CONNECTOR (e.g. the jaxon connector itself, which
 * validates on open) cannot change what is checked. */
#define _POSIX_C_SOURCE 200809L /* unsetenv */

#include "jxv.h"

#include <hdf5.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: jaxon-validate [--quiet] [--no-checksums] FILE...\n"
          "Checks that each HDF5 FILE follows the Jaxon layout (v1.2.0, or v2.x when / has a\n"
          "JAXON_VERSION attribute), and that every group and dataset matches the checksum\n"
          "jaxon.save recorded in its comment (rule checksum; this reads all the data), and\n"
          "prints one line per violation:\n"
          "  FILE: PATH: [rule] message: «text»\n"
          "or, for a clean file,\n"
          "  FILE: ok (layout v1.2.0, N nodes)\n"
          "Options:\n"
          "  -q, --quiet  print nothing; only the exit status tells the result\n"
          "  --no-checksums  check the layout only (no data is read)\n"
          "  -h, --help   show this help\n"
          "Exit status: 0 all files clean, 1 violations found, 2 unreadable file or usage "
          "error.\n",
          out);
}

/* Writes s with every byte that is not part of a valid UTF-8 character, and every control
 * character, as \xNN: names and texts come from the file, and raw bytes would garble the
 * terminal (or inject escape sequences) and make the line invalid UTF-8 for tools. */
static void put_escaped(const char *s, FILE *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = jxv_utf8_char_len(p + i, n - i);
        if (len == 0 || (len == 1 && (p[i] < 0x20 || p[i] == 0x7F))) {
            fprintf(out, "\\x%02X", p[i]);
            i++;
        } else {
            fwrite(p + i, 1, len, out);
            i += len;
        }
    }
}

/* Opens path read-only with the native connector; H5I_INVALID_HID if it is not HDF5. */
static hid_t open_native(const char *path)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return H5I_INVALID_HID;
    hid_t fid = H5I_INVALID_HID;
    H5E_BEGIN_TRY
    {
        if (H5Pset_fapl_sec2(fapl) >= 0 && H5Pset_vol(fapl, H5VL_NATIVE, NULL) >= 0)
            fid = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    }
    H5E_END_TRY
    H5Pclose(fapl);
    return fid;
}

static int check_one(const char *path, int quiet, unsigned flags)
{
    hid_t fid = open_native(path);
    if (fid < 0) {
        if (!quiet)
            fprintf(stderr, "%s: error: cannot open as an HDF5 file\n", path);
        return 2;
    }
    jxv_report rep;
    jxv_report_init(&rep);
    jxv_check_stats st;
    int r = jxv_check_file_opts(fid, &rep, &st, flags);
    H5E_BEGIN_TRY
    {
        H5Fclose(fid);
    }
    H5E_END_TRY
    int status = 0;
    if (r < 0) {
        if (!quiet)
            fprintf(stderr, "%s: error: HDF5 failed while reading the file\n", path);
        status = 2;
    }
    for (size_t i = 0; i < rep.count; i++) {
        const jxv_violation *v = &rep.items[i];
        if (!quiet) {
            put_escaped(path, stdout);
            fputs(": ", stdout);
            put_escaped(v->path, stdout);
            printf(": [%s] ", jxv_rule_name(v->rule));
            put_escaped(v->message, stdout);
            fputs(": \xC2\xAB", stdout);
            put_escaped(v->text, stdout);
            fputs("\xC2\xBB\n", stdout);
        }
    }
    if (rep.out_of_memory) {
        if (!quiet)
            fprintf(stderr, "%s: error: out of memory, the list above is incomplete\n", path);
        status = 2;
    }
    if (status == 0 && rep.count > 0)
        status = 1;
    if (status == 0 && !quiet)
        printf("%s: ok (layout v%s, %" PRIu64 " node%s)\n", path, st.version, st.nodes,
               st.nodes == 1 ? "" : "s");
    fflush(stdout);
    jxv_report_clear(&rep);
    return status;
}

int main(int argc, char **argv)
{
    int quiet = 0, nfiles = 0, status = 0, opts_done = 0;
    unsigned flags = JXV_CHECK_CHECKSUMS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = 1;
        } else if (!opts_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            return 0;
        } else if (!opts_done && (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)) {
            quiet = 1;
        } else if (!opts_done && strcmp(a, "--no-checksums") == 0) {
            flags &= ~JXV_CHECK_CHECKSUMS;
        } else if (!opts_done && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "jaxon-validate: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else {
            nfiles++;
        }
    }
    if (nfiles == 0) {
        usage(stderr);
        return 2;
    }
    /* The environment's connector is loaded when the library initialises; this tool never
     * wants it (it opens files with the native connector explicitly). */
    unsetenv("HDF5_VOL_CONNECTOR");
    opts_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = 1;
            continue;
        }
        if (!opts_done && a[0] == '-' && a[1] != '\0')
            continue;
        int s = check_one(a, quiet, flags);
        if (s > status)
            status = s;
    }
    return status;
}
