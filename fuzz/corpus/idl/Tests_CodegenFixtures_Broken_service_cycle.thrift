# expect: service_cycle.thrift:3:1: service 'A' extends itself

service A extends B {}

service B extends A {}
