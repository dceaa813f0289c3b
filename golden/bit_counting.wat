(module
  (func (export "counts") (param $x i32) (result i32)
    (i32.add (i32.add (i32.clz (local.get $x)) (i32.ctz (local.get $x))) (i32.popcnt (local.get $x))))
  (func (export "rot") (param $x i64) (param $n i64) (result i64)
    (i64.xor (i64.rotl (local.get $x) (local.get $n)) (i64.rotr (local.get $x) (i64.const 7)))))
