(module
  (func (export "convert") (param $x i32) (param $y f64) (result f64)
    (f64.add (f64.convert_i32_s (local.get $x)) (f64.promote_f32 (f32.demote_f64 (local.get $y)))))
  (func (export "truncate") (param $y f64) (result i64)
    (i64.add (i64.trunc_f64_s (local.get $y)) (i64.extend_i32_u (i32.trunc_sat_f64_u (local.get $y)))))
  (func (export "bits") (param $y f64) (result i64) (i64.reinterpret_f64 (local.get $y)))
  (func (export "wrap") (param $x i64) (result i32) (i32.wrap_i64 (local.get $x))))
