(module
  (func $"quote\"s and\nnewlines" (export "odd name") (param $"class" i32) (param $"l0" i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $"Ünïcode ✓" (export "unicode") (result i32) (i32.const 1)))
