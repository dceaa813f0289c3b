(module
  (func (export "classify") (param $x i32) (result i32)
    (block $other (block $two (block $one (block $zero
      (br_table $zero $one $two $two $other (local.get $x)))
      (return (i32.const 100)))
      (return (i32.const 101)))
      (return (i32.const 102)))
    (i32.const -1)))
