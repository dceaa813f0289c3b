/* Files and directories in the preopened /sandbox: create, write, read, seek, tell,
 * pread/pwrite, stat, truncate, times, sync, append, readdir, mkdir, rename, link,
 * symlink, readlink, unlink, rmdir, fd_renumber, and the errors of each. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define CHECK(x)                                                                      \
    do {                                                                              \
        if (!(x)) {                                                                   \
            printf("FAIL line %d: %s (errno %d: %s)\n", __LINE__, #x, errno,         \
                   strerror(errno));                                                  \
            return 1;                                                                 \
        }                                                                             \
    } while (0)

/* what a failing call says: its errno */
static void expect_fail(const char *what, int r) {
    if (r >= 0)
        printf("%s: unexpectedly succeeded\n", what);
    else
        printf("%s: %s\n", what, strerror(errno));
}

static const char *kind(mode_t m) {
    return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "symlink" : "other";
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *path) {
    DIR *d = opendir(path);
    CHECK(d != NULL);
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 64) {
        char buf[300];
        snprintf(buf, sizeof buf, "%s%s", e->d_name,
                 e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
        names[n++] = strdup(buf);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
    return 0;
}

int main(void) {
    /* create and write through stdio */
    FILE *f = fopen("/sandbox/notes.txt", "w");
    CHECK(f != NULL);
    for (int i = 1; i <= 5; i++) fprintf(f, "line %d of the notes\n", i);
    CHECK(fclose(f) == 0);

    /* read it back */
    char buf[512];
    int fd = open("/sandbox/notes.txt", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = 0;
    printf("read %zd bytes, first line: %.20s\n", n, buf);

    /* seek and tell */
    off_t pos = lseek(fd, 5, SEEK_SET);
    printf("seek set 5 -> %lld\n", (long long)pos);
    n = read(fd, buf, 6);
    buf[n] = 0;
    printf("read after seek: [%s]\n", buf);
    printf("seek cur +3 -> %lld\n", (long long)lseek(fd, 3, SEEK_CUR));
    printf("seek end -4 -> %lld\n", (long long)lseek(fd, -4, SEEK_END));
    __wasi_filesize_t tell = 0;
    CHECK(__wasi_fd_tell(fd, &tell) == 0);
    printf("fd_tell -> %llu\n", (unsigned long long)tell);
    expect_fail("seek before start", (int)lseek(fd, -1000, SEEK_SET));
    expect_fail("write to read-only fd", (int)write(fd, "x", 1));
    CHECK(close(fd) == 0);
    expect_fail("close twice", close(fd));

    /* pread / pwrite leave the offset alone */
    fd = open("/sandbox/notes.txt", O_RDWR);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, "LINE", 4, 21) == 4);
    n = pread(fd, buf, 10, 21);
    buf[n] = 0;
    printf("pread at 21: [%s], offset still %lld\n", buf, (long long)lseek(fd, 0, SEEK_CUR));

    /* stat and fstat */
    struct stat st, st2;
    CHECK(fstat(fd, &st) == 0);
    printf("fstat: %s size=%lld nlink=%lld\n", kind(st.st_mode), (long long)st.st_size,
           (long long)st.st_nlink);
    CHECK(stat("/sandbox/notes.txt", &st2) == 0);
    printf("stat agrees with fstat: %s\n",
           st.st_ino == st2.st_ino && st.st_size == st2.st_size ? "yes" : "no");

    /* truncate, sync, advise */
    CHECK(ftruncate(fd, 10) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("after ftruncate: size=%lld\n", (long long)st.st_size);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    printf("posix_fadvise: %d\n", posix_fadvise(fd, 0, 10, POSIX_FADV_SEQUENTIAL));

    /* explicit times, by fd and by path */
    struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
    CHECK(futimens(fd, times) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("futimens: atime=%lld mtime=%lld.%09ld\n", (long long)st.st_atim.tv_sec,
           (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec times2[2] = {{1500000000, 0}, {0, UTIME_OMIT}};
    CHECK(utimensat(AT_FDCWD, "/sandbox/notes.txt", times2, 0) == 0);
    CHECK(stat("/sandbox/notes.txt", &st) == 0);
    printf("utimensat: atime=%lld mtime=%lld (kept)\n", (long long)st.st_atim.tv_sec,
           (long long)st.st_mtim.tv_sec);
    CHECK(close(fd) == 0);

    /* append mode, set with fcntl */
    fd = open("/sandbox/notes.txt", O_WRONLY);
    CHECK(fd >= 0);
    int fl = fcntl(fd, F_GETFL);
    printf("append before: %s\n", (fl & O_APPEND) ? "yes" : "no");
    CHECK(fcntl(fd, F_SETFL, fl | O_APPEND) == 0);
    printf("append after: %s\n", (fcntl(fd, F_GETFL) & O_APPEND) ? "yes" : "no");
    CHECK(write(fd, "+tail", 5) == 5);
    CHECK(close(fd) == 0);
    fd = open("/sandbox/notes.txt", O_RDONLY);
    n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("content now: [%s]\n", buf);
    close(fd);

    /* exclusive create */
    fd = open("/sandbox/new.bin", O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
    CHECK(write(fd, bytes, sizeof bytes) == 256);
    close(fd);
    expect_fail("O_EXCL on an existing file", open("/sandbox/new.bin", O_WRONLY | O_CREAT | O_EXCL, 0644));
    expect_fail("open a missing file", open("/sandbox/missing.txt", O_RDONLY));
    expect_fail("open a file as a directory", open("/sandbox/new.bin", O_RDONLY | O_DIRECTORY));

    /* directories */
    CHECK(mkdir("/sandbox/sub", 0755) == 0);
    expect_fail("mkdir existing", mkdir("/sandbox/sub", 0755));
    CHECK(mkdir("/sandbox/sub/deeper", 0755) == 0);
    f = fopen("/sandbox/sub/deeper/leaf.txt", "w");
    CHECK(f != NULL);
    fputs("leaf\n", f);
    fclose(f);
    CHECK(stat("/sandbox/sub/deeper", &st) == 0);
    printf("stat sub/deeper: %s\n", kind(st.st_mode));
    if (list_dir("/sandbox")) return 1;
    if (list_dir("/sandbox/sub")) return 1;
    expect_fail("rmdir a non-empty directory", rmdir("/sandbox/sub"));
    expect_fail("unlink a directory", unlink("/sandbox/sub"));
    expect_fail("rmdir a file", rmdir("/sandbox/new.bin"));

    /* rename, link, symlink, readlink */
    CHECK(rename("/sandbox/new.bin", "/sandbox/sub/moved.bin") == 0);
    expect_fail("stat the old name", stat("/sandbox/new.bin", &st));
    CHECK(link("/sandbox/sub/moved.bin", "/sandbox/hard.bin") == 0);
    CHECK(stat("/sandbox/hard.bin", &st) == 0);
    printf("hard link: size=%lld nlink=%lld\n", (long long)st.st_size, (long long)st.st_nlink);
    CHECK(symlink("sub/deeper/leaf.txt", "/sandbox/leaf-link") == 0);
    char target[128];
    n = readlink("/sandbox/leaf-link", target, sizeof target - 1);
    CHECK(n > 0);
    target[n] = 0;
    printf("readlink: %s\n", target);
    CHECK(lstat("/sandbox/leaf-link", &st) == 0);
    printf("lstat link: %s\n", kind(st.st_mode));
    CHECK(stat("/sandbox/leaf-link", &st) == 0);
    printf("stat through link: %s size=%lld\n", kind(st.st_mode), (long long)st.st_size);
    fd = open("/sandbox/leaf-link", O_RDONLY);
    CHECK(fd >= 0);
    n = read(fd, buf, sizeof buf - 1);
    buf[n] = 0;
    printf("read through link: %s", buf);
    close(fd);
    expect_fail("readlink of a file", (int)readlink("/sandbox/hard.bin", target, sizeof target));

    /* fd_renumber: the second fd now refers to the first file */
    int a = open("/sandbox/notes.txt", O_RDONLY);
    int b = open("/sandbox/hard.bin", O_RDONLY);
    CHECK(a >= 0 && b >= 0);
    CHECK(__wasi_fd_renumber(a, b) == 0);
    n = read(b, buf, 4);
    buf[n] = 0;
    printf("after renumber, fd b reads: [%s]\n", buf);
    expect_fail("the old fd is closed", close(a));
    close(b);

    /* clean up part of it */
    CHECK(unlink("/sandbox/leaf-link") == 0);
    CHECK(unlink("/sandbox/sub/deeper/leaf.txt") == 0);
    CHECK(rmdir("/sandbox/sub/deeper") == 0);
    expect_fail("unlink missing", unlink("/sandbox/leaf-link"));
    if (list_dir("/sandbox/sub")) return 1;
    printf("done\n");
    return 0;
}
