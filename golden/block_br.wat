(module
  (func (export "first_positive") (param $a i32) (param $b i32) (result i32)
    (block $found (result i32)
      (drop (br_if $found (local.get $a) (i32.gt_s (local.get $a) (i32.const 0))))
      (drop (br_if $found (local.get $b) (i32.gt_s (local.get $b) (i32.const 0))))
      (i32.const 0))))
