# expect: const_out_of_range.thrift:3:16: 300 is out of the range of byte

const byte B = 300
