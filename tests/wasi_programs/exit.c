/* Exit codes: exit(N) from deep in the call stack, return N from main, or a trap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int depth_exit(int depth, int code) {
    if (depth == 0) {
        printf("exiting with %d\n", code);
        fflush(stdout);
        exit(code);
    }
    return depth_exit(depth - 1, code) + 1; /* not a tail call */
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "return";
    int code = argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(mode, "exit") == 0) return depth_exit(200, code);
    if (strcmp(mode, "trap") == 0) {
        printf("about to trap\n");
        fflush(stdout);
        __builtin_trap();
    }
    printf("returning %d\n", code);
    return code;
}
