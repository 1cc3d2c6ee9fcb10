/* run-corpus.c — feed every file of the given corpus directories to a fuzz
 * target's LLVMFuzzerTestOneInput, once each, so a corpus runs as a test.
 * The target aborts on any broken invariant; reaching the end is a pass. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CORPUS_MAX_FILE (1024 * 1024)

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
run_dir(const char *dir_path, guint *count)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
    if (dir == NULL) {
        fprintf(stderr, "run-corpus: %s\n", error->message);
        return 1;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);

    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir_path, names->pdata[i], NULL);
        g_autofree char *data = NULL;
        gsize length = 0;
        if (!g_file_get_contents(path, &data, &length, &error)) {
            fprintf(stderr, "run-corpus: %s\n", error->message);
            return 1;
        }
        if (length > CORPUS_MAX_FILE)
            length = CORPUS_MAX_FILE;
        LLVMFuzzerTestOneInput((const uint8_t *)data, length);
        (*count)++;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    guint count = 0;
    for (int i = 1; i < argc; i++)
        if (run_dir(argv[i], &count) != 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "run-corpus: no corpus files: nothing was tested\n");
        return 1;
    }
    printf("run-corpus: %u inputs ran clean\n", count);
    return 0;
}
