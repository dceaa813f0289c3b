(module
  (func (export "cmp") (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.add (i32.lt_s (local.get $a) (local.get $b)) (i32.lt_u (local.get $a) (local.get $b)))
             (i32.add (i32.ge_s (local.get $a) (i32.const -1)) (i32.eqz (local.get $b))))))
