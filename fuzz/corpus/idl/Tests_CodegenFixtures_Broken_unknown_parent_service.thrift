# expect: unknown_parent_service.thrift:3:19: unknown service 'Nowhere'

service S extends Nowhere {
}
