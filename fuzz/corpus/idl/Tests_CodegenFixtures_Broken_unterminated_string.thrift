# expect: unterminated_string.thrift:3:18: unterminated string literal

const string X = "abc
const i32 Y = 1
