(module
  (func (export "find") (param $n i32) (param $target i32) (result i32) (local $i i32) (local $j i32)
    (block $out (result i32)
      (loop $rows
        (local.set $j (i32.const 0))
        (loop $cols
          (drop (br_if $out (i32.add (i32.mul (local.get $i) (i32.const 100)) (local.get $j))
                 (i32.eq (i32.mul (local.get $i) (local.get $j)) (local.get $target))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $j) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $i) (local.get $n))))
      (i32.const -1))))
