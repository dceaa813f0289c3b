(module
  ;; aligned accesses through the memory's typed views (mem0_u32, mem0_u64, ...)
  (memory 1)
  (func (export "sum_words") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        ;; a plain local address: tested for alignment, no temporary
        (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func (export "counters") (result i64)
    ;; constant addresses: the view directly when aligned, the struct call when not
    (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
    (i64.store offset=24 (i32.const 0) (i64.load (i32.const 24)))
    (i32.store16 (i32.const 33) (i32.const 7))
    (i64.add (i64.load32_u (i32.const 40)) (i64.load16_s (i32.const 35))))
  (func (export "store_var") (param $p i32) (param $v i64)
    ;; a store at a variable address stays a struct call
    (i64.store offset=8 (local.get $p) (local.get $v))))
