# expect: swift_name_clash.thrift:5:1: the Swift name 'PingHandler' is already used by the definition at swift_name_clash.thrift:3:1

struct PingHandler {}

service Ping {}
