/* argv and the environment, as the guest sees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    int count = 0;
    for (char **e = environ; *e; e++) {
        printf("env: %s\n", *e);
        count++;
    }
    printf("environ count=%d\n", count);
    const char *home = getenv("HOME");
    printf("HOME=%s\n", home ? home : "(unset)");
    const char *missing = getenv("NOT_SET_ANYWHERE");
    printf("NOT_SET_ANYWHERE=%s\n", missing ? missing : "(unset)");
    return 0;
}
