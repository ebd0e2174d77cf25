# expect: runtime_name.thrift:3:1: 'ThriftStruct' would hide the runtime type of that name, which generated code uses; rename it or annotate it (swift.name = "…")

struct ThriftStruct {}
