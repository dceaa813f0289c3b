;; Addresses proven aligned by codegen/facts.py index the typed views with no run-time
;; test: a loop over 8-byte elements (the index times 8, a base that is a multiple of
;; 8, a local carried round the loop), next to addresses that are not proven (a
;; parameter, an odd offset, a value that was once odd).
(module
  (memory 1)
  ;; sum of n doubles from base: both proven (base & -8, i << 3)
  (func $sum (export "sum") (param $base i32) (param $n i32) (result f64)
    (local $i i32) (local $p i32) (local $acc f64)
    (local.set $p (i32.and (local.get $base) (i32.const -8)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (f64.add (local.get $acc)
          (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))))))
        (f64.store offset=8 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
          (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  ;; a pointer stepping by 16 from a multiple of 16: u32 and u64 accesses proven
  (func $fill (export "fill") (param $n i32)
    (local $q i32)
    (local.set $q (i32.const 256))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (i64.store (local.get $q) (i64.extend_i32_u (local.get $n)))
        (i32.store offset=12 (local.get $q) (i32.load offset=8 (local.get $q)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))
  ;; not proven: a parameter address, an offset of 4 on an 8-byte load, and a local
  ;; that is odd on one path
  (func $unproven (export "unproven") (param $a i32) (param $c i32) (result i64)
    (local $r i32)
    (local.set $r (i32.const 8))
    (if (local.get $c) (then (local.set $r (i32.const 9))))
    (i64.add (i64.load (local.get $a))
      (i64.add (i64.load offset=4 (i32.shl (local.get $c) (i32.const 3)))
               (i64.load (local.get $r))))))
