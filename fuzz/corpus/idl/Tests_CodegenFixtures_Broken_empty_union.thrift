# expect: empty_union.thrift:3:1: union 'Nothing' has no fields

union Nothing {
}
