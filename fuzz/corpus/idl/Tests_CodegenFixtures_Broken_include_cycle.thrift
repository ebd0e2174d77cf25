# expect: include_cycle_other.thrift:3:1: include cycle: 'include_cycle.thrift' includes this file again

include "include_cycle_other.thrift"
