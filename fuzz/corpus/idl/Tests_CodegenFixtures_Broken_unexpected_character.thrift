# expect: unexpected_character.thrift:3:12: unexpected character '@'

struct A { @ }
