/* stdin, stdout, stderr: echo stdin upper-cased with line numbers, a burst of printf
 * output, a message on stderr, and an exit code chosen by the input. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char line[256];
    int n = 0, status = 0;
    while (fgets(line, sizeof line, stdin)) {
        n++;
        for (char *p = line; *p; p++) *p = (char)toupper((unsigned char)*p);
        printf("%3d: %s", n, line);
        if (strncmp(line, "FAIL", 4) == 0) status = 3;
    }
    printf("lines: %d\n", n);
    /* printf-heavy: many small writes through stdio's buffer */
    unsigned long sum = 0;
    for (int i = 0; i < 2000; i++) {
        printf("row %4d value %8d %s\n", i, i * i, (i % 3) ? "odd-ish" : "three");
        sum += (unsigned long)i * i;
    }
    fprintf(stderr, "stderr: sum=%lu\n", sum);
    fflush(stdout);
    /* unbuffered stderr interleaved with explicit writes */
    fputs("stderr: done\n", stderr);
    return status;
}
