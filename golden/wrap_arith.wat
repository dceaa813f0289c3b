;; Lazy wrap-around: sums and differences are wrapped by a comparison where observed
;; (shown as `& 0xFFFFFFFF`), a product chain is wrapped before each multiplication
;; (FNV-1a), and rotations by a constant are inline.
(module $wrap
  (memory 1)
  (func $fnv (export "fnv") (param $p i32) (param $n i32) (result i32)
    (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $h
          (i32.mul
            (i32.xor
              (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $p)))
                       (i32.const 0x1000193))
              (i32.load8_u offset=1 (local.get $p)))
            (i32.const 0x1000193)))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $h))
  (func (export "mix") (param $x i64) (param $y i64) (result i64)
    (i64.add (i64.rotl (local.get $x) (i64.const 27))
             (i64.mul (i64.sub (local.get $y) (i64.const 1)) (local.get $x))))
)
