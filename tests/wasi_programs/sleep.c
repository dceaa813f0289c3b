/* poll_oneoff: relative and absolute sleeps, poll() on a readable fd with a timeout,
 * and sched_yield. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    long long t0 = now_ns();
    struct timespec d = {0, 30 * 1000000};
    if (nanosleep(&d, NULL) != 0) { printf("nanosleep failed: %s\n", strerror(errno)); return 1; }
    long long slept = now_ns() - t0;
    printf("nanosleep 30ms: slept enough=%s\n", slept >= 30000000LL ? "yes" : "no");

    t0 = now_ns();
    usleep(20000);
    printf("usleep 20ms: slept enough=%s\n", now_ns() - t0 >= 20000000LL ? "yes" : "no");

    /* a regular file is always readable: poll returns at once */
    int fd = open("/sandbox/input.txt", O_RDONLY);
    if (fd < 0) { printf("open failed: %s\n", strerror(errno)); return 2; }
    struct pollfd p = {fd, POLLIN, 0};
    t0 = now_ns();
    int r = poll(&p, 1, 5000);
    printf("poll file: r=%d readable=%s quick=%s\n", r, (p.revents & POLLIN) ? "yes" : "no",
           now_ns() - t0 < 2000000000LL ? "yes" : "no");
    close(fd);

    /* poll with no fds is a sleep */
    t0 = now_ns();
    r = poll(NULL, 0, 25);
    printf("poll timeout 25ms: r=%d slept enough=%s\n", r, now_ns() - t0 >= 25000000LL ? "yes" : "no");

    printf("sched_yield: %d\n", sched_yield());
    return 0;
}
