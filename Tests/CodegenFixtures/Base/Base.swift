// The generated code of base.thrift is this module's content (see the ThriftSwiftPlugin).
