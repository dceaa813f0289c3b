(module
  (memory 1 4)
  (func (export "grow") (param $n i32) (result i32)
    (drop (memory.grow (local.get $n)))
    (memory.size)))
