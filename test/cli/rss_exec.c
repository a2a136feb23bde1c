/* rss_exec.c : run a command and report its own peak RSS, measured from a small process.
 *
 *   rss_exec REPORT PROGRAM [ARGS...]
 *
 * Runs PROGRAM (a path, no PATH search) with this process's stdin, stdout and stderr, waits for
 * it with wait4() and writes "STATUS MAXRSS_KIB\n" to the file REPORT (STATUS as waitpid gives
 * it); exits 0 once the report is written, 1 when it cannot be.
 * Why a helper: Linux counts in a child's ru_maxrss the RSS of the process it was forked from
 * (the forked copy's pages, kept across execve), so a child forked from a test program that
 * holds the input and an OpenCL runtime reports at least that much. Forked from this small
 * program instead, PROGRAM's figure is its own. */
#define _DEFAULT_SOURCE /* wait4 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rss_exec REPORT PROGRAM [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status = -1;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) return 1;
    FILE *f = fopen(argv[1], "w");
    if (!f) return 1;
    fprintf(f, "%d %ld\n", status, ru.ru_maxrss);
    return fclose(f) == 0 ? 0 : 1;
}
