/* What the connector says on stderr, for people.
 *
 * Applications learn about violations from the HDF5 error stack, but HDF5's command-line tools
 * hide that stack and, after a refused open, quietly retry the file with the native connector
 * (h5tools_fopen). A person running h5dump through the connector would then see a normal dump
 * of an invalid file. So, unless the info string says report=none, the connector also says
 * what it found on stderr, one greppable line per violation.
 *
 * The remembered files and info strings are process-wide: a tool may open the same file
 * several times (and HDF5 may parse HDF5_VOL_CONNECTOR more than once), and each violation is
 * said once. They outlive the connector's registration (an application that registers and
 * closes the connector around each open still hears about a file once) and are freed when
 * the plugin is unloaded. This is the connector's second mutable static besides its error
 * class; every callback that reaches it runs inside an HDF5 API call, under the library's
 * global lock. */
#include "jxvol_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Most entries remembered: past this, repeats are said again rather than memory growing. */
#define JXVOL_SAID_MAX 4096

typedef struct said_entry {
    struct said_entry *next;
    char key[]; /* "f:<dev>:<ino>:<size>:<mtime>", "n:<file name>" or "i:<info string>" */
} said_entry;

static struct {
    said_entry *head;
    size_t count;
} jxvol_said = {NULL, 0};

/* 1 if key was not remembered yet (it is now), 0 if it was. */
static int first_time(const char *key)
{
    for (const said_entry *e = jxvol_said.head; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return 0;
    if (jxvol_said.count >= JXVOL_SAID_MAX)
        return 1;
    size_t len = strlen(key);
    said_entry *e = malloc(sizeof *e + len + 1);
    if (!e)
        return 1;
    memcpy(e->key, key, len + 1);
    e->next = jxvol_said.head;
    jxvol_said.head = e;
    jxvol_said.count++;
    return 1;
}

/* Forgets what was said, at unload (HDF5 closes its plugins when the library shuts down). */
__attribute__((destructor)) static void jxvol_say_unload(void)
{
    said_entry *e = jxvol_said.head;
    while (e) {
        said_entry *next = e->next;
        free(e);
        e = next;
    }
    jxvol_said.head = NULL;
    jxvol_said.count = 0;
}

void jxvol_say(const char *fmt, ...)
{
    /* One write per line (stderr is unbuffered), so lines of concurrent writers stay whole. */
    char line[2048];
    int n = snprintf(line, sizeof line, "jaxon: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    line[len] = '\0';
    fputs(line, stderr);
}

void jxvol_say_violation(const char *filename, const jxv_violation *v)
{
    /* Exactly jaxon-validate's line after the prefix, so the two can be compared. */
    jxvol_say("%s: %s: [%s] %s: «%s»", filename ? filename : "?", v->path ? v->path : "?",
              jxv_rule_name(v->rule), v->message ? v->message : "", v->text ? v->text : "");
}

int jxvol_say_first_for_file(const char *filename)
{
    char key[4200];
    struct stat st;
    if (filename && stat(filename, &st) == 0)
        snprintf(key, sizeof key, "f:%llu:%llu:%lld:%lld.%09ld", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    else
        snprintf(key, sizeof key, "n:%.4096s", filename ? filename : "");
    return first_time(key);
}

void jxvol_say_bad_info(const char *str, const char *why, const char *consequence)
{
    char key[4200];
    snprintf(key, sizeof key, "i:%.4096s", str);
    if (first_time(key))
        jxvol_say("bad info string '%.400s': %s%s%s", str, why, consequence ? "; " : "",
                  consequence ? consequence : "");
}
