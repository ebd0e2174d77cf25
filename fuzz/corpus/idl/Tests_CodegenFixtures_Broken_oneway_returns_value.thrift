# expect: oneway_returns_value.thrift:4:16: oneway function 'fire' must return void

service S {
    oneway i32 fire(),
}
