/* clock_time_get and clock_res_get through the libc time functions. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec rt, m1, m2, res;
    if (clock_gettime(CLOCK_REALTIME, &rt) != 0) return 1;
    printf("realtime after 2020: %s\n", rt.tv_sec > 1577836800 ? "yes" : "no");
    if (clock_gettime(CLOCK_MONOTONIC, &m1) != 0) return 2;
    volatile unsigned long spin = 0;
    for (int i = 0; i < 100000; i++) spin += i;
    if (clock_gettime(CLOCK_MONOTONIC, &m2) != 0) return 3;
    printf("monotonic non-decreasing: %s\n", ns(m2) >= ns(m1) ? "yes" : "no");
    if (clock_getres(CLOCK_REALTIME, &res) != 0) return 4;
    printf("realtime resolution in (0, 1ms]: %s\n", ns(res) > 0 && ns(res) <= 1000000 ? "yes" : "no");
    if (clock_getres(CLOCK_MONOTONIC, &res) != 0) return 5;
    printf("monotonic resolution in (0, 1ms]: %s\n", ns(res) > 0 && ns(res) <= 1000000 ? "yes" : "no");
    time_t t = time(NULL);
    printf("time() agrees with realtime: %s\n", t >= rt.tv_sec && t - rt.tv_sec < 60 ? "yes" : "no");
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("gettimeofday agrees: %s\n", tv.tv_sec >= rt.tv_sec && tv.tv_sec - rt.tv_sec < 60 ? "yes" : "no");
    struct tm tm;
    gmtime_r(&t, &tm);
    printf("year plausible: %s\n", tm.tm_year + 1900 >= 2020 ? "yes" : "no");
    return 0;
}
