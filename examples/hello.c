/* A WASI command: greets and prints its arguments.
 *
 *   python examples/build.py                       (rebuilds hello.wasm with zig)
 *   transpyle run examples/hello.wasm -- a b c
 *
 * or from Python:
 *
 *   from transpyle import Runtime
 *   from transpyle.wasi import WasiConfig, run
 *   run(Runtime(), open("examples/hello.wasm", "rb").read(), WasiConfig(args=["hello", "a"]))
 */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("hello from wasm\n");
    for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
    return 0;
}
