(module
  (memory 1)
  (data $greeting "hello")
  (func (export "init") (param $dst i32)
    (memory.init $greeting (local.get $dst) (i32.const 0) (i32.const 5))
    (data.drop $greeting))
  (func (export "fill_copy") (param $dst i32) (param $n i32)
    (memory.fill (local.get $dst) (i32.const 42) (local.get $n))
    (memory.copy (i32.add (local.get $dst) (local.get $n)) (local.get $dst) (local.get $n))))
