# expect: duplicate_definition.thrift:5:1: 'A' is already defined at duplicate_definition.thrift:3:1

struct A {}

enum A { X }
