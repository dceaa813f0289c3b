/* random_get through getentropy and arc4random. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (getentropy(a, sizeof a) != 0 || getentropy(b, sizeof b) != 0) {
        printf("getentropy failed\n");
        return 1;
    }
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; i++) zeros += a[i] == 0;
    printf("getentropy: %zu bytes, differ=%s, mostly nonzero=%s\n", sizeof a,
           memcmp(a, b, sizeof a) ? "yes" : "no", zeros < 16 ? "yes" : "no");
    unsigned int x = arc4random(), y = arc4random();
    printf("arc4random: two draws differ=%s\n", x != y ? "yes" : "no");
    unsigned int r = arc4random_uniform(10);
    printf("arc4random_uniform(10) in range=%s\n", r < 10 ? "yes" : "no");
    return 0;
}
