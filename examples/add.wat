;; A tiny module: add(i32, i32) -> i32 and one page of exported memory.
;; Rebuild add.wasm with: python examples/build.py
(module
  (memory (export "memory") 1)
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add))
