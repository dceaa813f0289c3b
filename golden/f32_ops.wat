(module
  (func (export "lerp") (param $a f32) (param $b f32) (param $t f32) (result f32)
    (f32.add (local.get $a) (f32.mul (f32.sub (local.get $b) (local.get $a)) (local.get $t))))
  (func (export "round") (param $x f32) (result f32)
    (f32.copysign (f32.nearest (f32.abs (local.get $x))) (f32.neg (local.get $x)))))
