/* The guest tries to leave its preopened directory: through "..", absolute paths,
 * and symlinks (created by the guest or found in the directory). Every attempt must
 * fail; the program prints "denied" with the errno, or "ESCAPED". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int escaped = 0;

/* path_open relative to the preopen fd 3, bypassing libc's path handling */
static void try_open(const char *path, int follow) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, follow ? __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW : 0, path,
                                        0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    if (e == 0) {
        char buf[64] = {0};
        size_t nread = 0;
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
        if (__wasi_fd_read(fd, &iov, 1, &nread) != 0) buf[0] = 0;
        printf("open %-28s follow=%d: %s\n", path, follow,
               strncmp(buf, "SECRET", 6) == 0 ? "ESCAPED" : "inside");
        if (strncmp(buf, "SECRET", 6) == 0) escaped = 1;
        if (__wasi_fd_close(fd) != 0) printf("close failed\n");
    } else {
        printf("open %-28s follow=%d: denied (errno %d)\n", path, follow, e);
    }
}

static void try_stat(const char *path) {
    __wasi_filestat_t st;
    __wasi_errno_t e = __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, &st);
    if (e == 0)
        printf("stat %-28s: %s\n", path, st.size == 7 ? "ESCAPED?" : "inside");
    else
        printf("stat %-28s: denied (errno %d)\n", path, e);
}

int main(void) {
    try_open("../secret.txt", 1);
    try_open("inner/../../secret.txt", 1);
    try_open("/secret.txt", 1);
    try_open("abs-link", 1);
    try_open("up-link", 1);
    try_open("dir-up/secret.txt", 1);
    try_open("inner/deep-up", 1);
    try_open("ok.txt", 1);
    try_open("inner/../ok.txt", 1);
    try_stat("../secret.txt");
    try_stat("up-link");
    try_stat("dir-up/secret.txt");

    /* a symlink the guest makes itself */
    __wasi_errno_t e = __wasi_path_symlink("../secret.txt", 3, "made-up");
    printf("symlink made-up: %s\n", e == 0 ? "created" : "refused");
    if (e == 0) try_open("made-up", 1);

    /* writes that would land outside */
    __wasi_fd_t fd;
    e = __wasi_path_open(3, 0, "../created-outside.txt", __WASI_OFLAGS_CREAT,
                         __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    printf("create ../created-outside.txt: %s (errno %d)\n", e == 0 ? "ESCAPED" : "denied", e);
    e = __wasi_path_create_directory(3, "../dir-outside");
    printf("mkdir ../dir-outside: %s (errno %d)\n", e == 0 ? "ESCAPED" : "denied", e);
    e = __wasi_path_rename(3, "ok.txt", 3, "../moved-outside.txt");
    printf("rename to ../moved-outside.txt: %s (errno %d)\n", e == 0 ? "ESCAPED" : "denied", e);
    e = __wasi_path_unlink_file(3, "dir-up/secret.txt");
    printf("unlink dir-up/secret.txt: %s (errno %d)\n", e == 0 ? "ESCAPED" : "denied", e);
    printf(escaped ? "SANDBOX BROKEN\n" : "sandbox held\n");
    return escaped;
}
