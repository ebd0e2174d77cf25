# expect: unknown_type.thrift:4:8: unknown type 'Missing'

struct A {
    1: Missing m,
}
