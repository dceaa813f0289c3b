(module
  (table 4 externref)
  (func (export "store") (param $i i32) (param $r externref) (table.set (local.get $i) (local.get $r)))
  (func (export "is_null") (param $i i32) (result i32) (ref.is_null (table.get (local.get $i)))))
