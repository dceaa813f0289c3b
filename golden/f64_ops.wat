(module
  (func (export "hypot") (param $x f64) (param $y f64) (result f64)
    (f64.sqrt (f64.add (f64.mul (local.get $x) (local.get $x)) (f64.mul (local.get $y) (local.get $y)))))
  (func (export "minmax") (param $x f64) (param $y f64) (result f64)
    (f64.div (f64.max (local.get $x) (local.get $y)) (f64.min (local.get $x) (local.get $y))))
  (func (export "less") (param $x f64) (param $y f64) (result i32) (f64.lt (local.get $x) (local.get $y))))
