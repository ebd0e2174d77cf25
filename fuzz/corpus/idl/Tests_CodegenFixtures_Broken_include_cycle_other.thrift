# (included by include_cycle.thrift)

include "include_cycle.thrift"
