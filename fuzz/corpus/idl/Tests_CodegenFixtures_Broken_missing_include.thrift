# expect: missing_include.thrift:3:1: cannot find included file 'nowhere.thrift'

include "nowhere.thrift"
