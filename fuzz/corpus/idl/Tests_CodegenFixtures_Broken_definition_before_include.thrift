# expect: definition_before_include.thrift:5:1: 'include' must come before all definitions

struct A {}

include "other.thrift"
