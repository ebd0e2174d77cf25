# expect: missing_field_name.thrift:4:12: expected a field name, found '}'

struct A {
    1: i32 }
