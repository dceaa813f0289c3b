(module
  (func (export "poly") (param $x i32) (result i32) (local $sq i32)
    (i32.add (i32.mul (local.tee $sq (i32.mul (local.get $x) (local.get $x))) (local.get $x))
             (local.get $sq))))
