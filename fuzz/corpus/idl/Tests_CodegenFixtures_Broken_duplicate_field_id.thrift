# expect: duplicate_field_id.thrift:5:5: field id 1 of 'b' is already used in struct 'A' at duplicate_field_id.thrift:4:5

struct A {
    1: i32 a,
    1: i32 b,
}
