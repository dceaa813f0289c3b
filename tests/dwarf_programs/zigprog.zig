// A Zig program for the DWARF tests (tests/test_dwarf.py), built by build.py with
// zig build-exe -O ReleaseSmall -fno-strip for wasm32-freestanding.

export fn triangle(n: u32) u32 {
    var total: u32 = 0;
    var i: u32 = 0;
    while (i < n) : (i += 1) {
        total +%= i;
    }
    return total;
}

fn check(a: i32, b: i32) i32 {
    return @divTrunc(a, b);
}

export fn quotient(a: i32, b: i32) i32 {
    return check(a, b) + 1;
}
