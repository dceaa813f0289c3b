(module
  (func (export "hash") (param $h i64) (param $x i64) (result i64)
    (i64.mul (i64.xor (local.get $h) (local.get $x)) (i64.const 0x100000001b3)))
  (func (export "shifts") (param $x i64) (param $n i64) (result i64)
    (i64.add (i64.shr_u (local.get $x) (local.get $n)) (i64.shr_s (local.get $x) (i64.const 3)))))
