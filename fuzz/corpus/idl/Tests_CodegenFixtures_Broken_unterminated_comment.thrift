# expect: unterminated_comment.thrift:4:1: unterminated comment

struct A {}
/* never closed
struct B {}
