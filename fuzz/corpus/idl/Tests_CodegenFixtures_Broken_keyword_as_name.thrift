# expect: keyword_as_name.thrift:3:8: 'list' is a keyword and cannot be used as a struct name

struct list {
}
