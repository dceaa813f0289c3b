(module
  (func (export "checked_div") (param $a i32) (param $b i32) (result i32)
    (if (i32.eqz (local.get $b)) (then (unreachable)))
    (i32.div_u (local.get $a) (local.get $b))))
