// The consumer's IDL: `namespace swift Greeter` is the target's module, so the types are declared
// at module level (`Greeter.Greeting`, or just `Greeting` in code importing Greeter).

namespace swift Greeter

/** How formal to be. */
enum Tone {
    CASUAL = 1,
    FORMAL = 2,
}

struct Greeting {
    1: required string name,
    2: Tone tone = Tone.CASUAL,
    3: optional list<string> titles,
    4: map<string, string> extras,
}

union Recipient {
    1: string name,
    2: i64 user_id,
}

exception NobodyHome {
    1: string who,
}

service Greeter {
    /** Says hello. */
    string greet(1: Greeting greeting) throws (1: NobodyHome nobody),
    oneway void wave(1: Recipient to),
}
