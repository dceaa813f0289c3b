(module
  (func (export "max") (param $a i64) (param $b i64) (result i64)
    (select (local.get $a) (local.get $b) (i64.gt_s (local.get $a) (local.get $b))))
  (func (export "fmin") (param $a f64) (param $b f64) (result f64)
    (select (result f64) (local.get $a) (local.get $b) (f64.lt (local.get $a) (local.get $b))))
  (func (export "discard") (param $x i32)
    (drop (i32.mul (local.get $x) (local.get $x)))))
