# expect: unknown_enum_value.thrift:5:17: enum Color has no value 'PURPLE'

enum Color { RED, GREEN }

const Color C = Color.PURPLE
