(module
  (func (export "mix") (param $a i32) (param $b i32) (result i32)
    (i32.xor (i32.add (i32.mul (local.get $a) (i32.const 31)) (local.get $b))
             (i32.sub (local.get $b) (i32.const 7))))
  (func (export "bits") (param $a i32) (param $b i32) (result i32)
    (i32.or (i32.and (local.get $a) (i32.const 0xff00)) (i32.shl (local.get $b) (i32.const 24)))))
