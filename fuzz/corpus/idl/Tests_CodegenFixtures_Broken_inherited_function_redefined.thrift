# expect: inherited_function_redefined.thrift:8:10: function 'ping' is already defined by an extended service at inherited_function_redefined.thrift:4:10

service Parent {
    void ping(),
}

service Child extends Parent {
    void ping(),
}
