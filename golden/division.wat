(module
  (func (export "divs") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.div_s (local.get $a) (local.get $b)) (i32.rem_s (local.get $a) (local.get $b))))
  (func (export "divu64") (param $a i64) (param $b i64) (result i64)
    (i64.add (i64.div_u (local.get $a) (local.get $b)) (i64.rem_u (local.get $a) (local.get $b)))))
