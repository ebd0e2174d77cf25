# expect: const_type_mismatch.thrift:3:15: "seven" is not a valid value of type i32

const i32 X = "seven"
