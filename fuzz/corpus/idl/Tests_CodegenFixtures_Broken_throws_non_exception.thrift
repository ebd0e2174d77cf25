# expect: throws_non_exception.thrift:6:25: 'oops' in the throws clause must be an exception type

struct NotAnException {}

service S {
    void f() throws (1: NotAnException oops),
}
