(module
  (func (export "ext") (param $x i32) (result i32)
    (i32.add (i32.extend8_s (local.get $x)) (i32.extend16_s (local.get $x))))
  (func (export "ext64") (param $x i64) (param $y i32) (result i64)
    (i64.add (i64.extend32_s (local.get $x)) (i64.extend_i32_s (local.get $y)))))
