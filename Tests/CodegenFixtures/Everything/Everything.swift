// The generated code of the IDL files here is this module content (see the ThriftSwiftPlugin).
