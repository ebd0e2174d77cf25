# expect: enum_out_of_range.thrift:5:5: enum value 'TOO_BIG' = 2147483648 is out of the range of i32

enum E {
    OK = 2147483647,
    TOO_BIG,
}
