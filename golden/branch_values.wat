;; Values a taken branch carries out while other values stay below it (issue 11): a
;; constant that a branch has carried, or that a loop header may replace, is no
;; longer folded into the code that consumes it on the fall-through path.
(module
  (memory 1)
  (global $d (mut i32) (i32.const 0))
  ;; br_if returns the constant -2; the fall-through adds it (was folded to `- 2`)
  (func $add_after_br_if (export "add_after_br_if") (result i64)
    i64.const 0
    i64.const -2
    i32.const -16
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i64.add)
  ;; br_if returns 607659503; the fall-through uses it as a shift count (was masked to 15)
  (func $shift_after_br_if (export "shift_after_br_if") (result i32)
    i32.const 0  i32.const 0  i32.const 0
    i32.const 607659503
    i32.const -2
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i32.shr_s  i32.shr_u  i32.shr_s)
  ;; br_if returns the 64-bit constant; the fall-through stores its low 32 bits
  (func $store_after_br_if (export "store_after_br_if") (result i64)
    i32.const 0
    i64.const 6338784753581300969
    i32.const 2
    (global.set $d (i32.sub (global.get $d) (i32.const 1)))
    br_if 0
    (global.set $d (i32.add (global.get $d) (i32.const 1)))
    i64.store32
    i64.const 0)
  ;; a loop parameter that enters as a constant: back edges bring other values
  (func $loop_param_const (export "loop_param_const") (param $n i32) (result i32)
    (local $acc i32)
    i32.const 0
    i32.const -3
    loop (param i32 i32) (result i32)
      i32.add
      local.tee $acc
      local.get $acc
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if 0
      drop
    end))
