# expect: field_id_out_of_range.thrift:4:5: field id 0 of 'zero' is out of range (1...32767)

struct A {
    0: i32 zero,
}
