/* A C program for source-level debugging tests (tests/test_dwarf.py, test_debug.py).
   Built with -g -O1 by build.py: at -O1 clang keeps parameters and the scalars that
   live across a call in wasm locals (in some ranges), while `buf`, whose address is
   taken, lives in linear memory (DW_OP_fbreg). */

#define EXPORT(name) __attribute__((export_name(name)))
#define NOINLINE __attribute__((noinline))

NOINLINE int step(int x) {
    int sq = x * x;
    return sq + 1;
}

EXPORT("sum_steps")
int sum_steps(int n) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += step(i);
        total ^= i;
    }
    return total;
}

NOINLINE int divide(int a, int b) {
    int q = a / b;
    return q + 1;
}

EXPORT("ratio")
int ratio(int a, int b) {
    int r = divide(a, b);
    return r * 2;
}

NOINLINE void fill(int *p, int n) {
    for (int k = 0; k < n; k++)
        p[k] = k * 3;
}

EXPORT("buffer_sum")
int buffer_sum(int n) {
    int buf[16];
    if (n > 16)
        n = 16;
    fill(buf, n);
    int s = 0;
    for (int j = 0; j < n; j++)
        s += buf[j];
    return s;
}

EXPORT("peek")
int peek(int address) {
    return *(volatile int *)address;
}

EXPORT("spin")
int spin(int n) {
    int count = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        count++;
    }
    return count;
}

static int checked_mod(int a, int b) {
    int m = a % b;
    return m < 0 ? m + b : m;
}

EXPORT("modulo")
int modulo(int a, int b) {
    int r = checked_mod(a, b);
    return r + 3;
}
