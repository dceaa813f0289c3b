(module
  (global $counter (mut i32) (i32.const 0))
  (global $shared (export "shared") (mut i64) (i64.const 7))
  (global $limit i32 (i32.const 1000))
  (func (export "tick") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.set $shared (i64.add (global.get $shared) (i64.extend_i32_u (global.get $counter))))
    (i32.lt_u (global.get $counter) (global.get $limit))))
