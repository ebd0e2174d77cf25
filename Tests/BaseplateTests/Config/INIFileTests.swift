import Glibc
import Testing
@testable import Baseplate

/// INI semantics: Python's configparser (RawConfigParser, strict) plus `os.path.expandvars`,
/// as baseplate.py reads its config. Expected values and error texts are CPython 3.11's.
struct ConfigINIFileTests {
    static let environment = ["FOO": "environmental", "EMPTY": ""]

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var expected: INIOutcome
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "DEFAULT is inherited, a section's own option wins",
             text: "[DEFAULT]\nshared = d\nover = d\n[app:main]\nover = s\nown = x\n[other]\n",
             expected: .success(["app:main", "other"], [
                 "DEFAULT": [["shared", "d"], ["over", "d"]],
                 "app:main": [["shared", "d"], ["over", "s"], ["own", "x"]],
                 "other": [["shared", "d"], ["over", "d"]],
             ])),
        Case(name: "= and :, split at the first delimiter",
             text: "[s]\na = b: c\nurl: http://x:80/y\nk:v=w\nsp ace = 1\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "b: c"], ["url", "http://x:80/y"], ["k", "v=w"], ["sp ace", "1"]]])),
        Case(name: "full-line comments only",
             text: "[s]\n# c\n; c\n   # indented\na = 1 ; no\nb = 1 # no\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "1 ; no"], ["b", "1 # no"]]])),
        Case(name: "continuation lines, blank lines kept inside, comments skipped, trailing blanks dropped",
             text: "[s]\na = 1\n  2\n\t3\nb =\n  x\nc = 1\n\n  2\n\n\nd = 1\n  # c\n# c0\n  2\ne = last\n\n\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "1\n2\n3"], ["b", "\nx"], ["c", "1\n\n2"], ["d", "1\n2"], ["e", "last"]]])),
        Case(name: "continuation needs a deeper indent than the option's line",
             text: "[s]\n  a = 1\n  b = 2\n   cont\n c = 3\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "1"], ["b", "2\ncont"], ["c", "3"]]])),
        Case(name: "an indented option line or header continues the value",
             text: "[s]\na = 1\n  b = 2\n    [t]\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "1\nb = 2\n[t]"]]])),
        Case(name: "option names lower-cased, section names kept",
             text: "[App:Main]\nFOO = Bar\nMiXeD: Case\n\u{C9}T\u{C9} = \u{E9}t\u{E9}\n",
             expected: .success(["App:Main"], ["DEFAULT": [], "App:Main": [["foo", "Bar"], ["mixed", "Case"], ["\u{E9}t\u{E9}", "\u{E9}t\u{E9}"]]])),
        Case(name: "whitespace around keys and values, Unicode spaces too",
             text: "[s]\n  key   =   value  \n\tt\t=\tv\t\nnb\u{A0}=\u{A0}v\u{A0}\na = x\n\u{A0}\u{A0}cont\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["key", "value"], ["t", "v"], ["nb", "v"], ["a", "x\ncont"]]])),
        Case(name: "section headers up to the last ]",
             text: "[a] ; comment\nx=1\n[b]]\ny=2\n[ c ]\nz=3\n",
             expected: .success(["a", "b]", " c "], ["DEFAULT": [], "a": [["x", "1"]], "b]": [["y", "2"]], " c ": [["z", "3"]]])),
        Case(name: "environment expansion as os.path.expandvars; no % interpolation",
             text: "[s]\na = $FOO\nb = ${FOO}\nc = ${this:is:not:valid}\nd = $$FOO\ne = ${}\nf = $UNSET\ng = ${FOO}x\nh = $FOOx\ni = ${a${FOO}}\nj = $EMPTY.\nk = $\nl = ${FOO\nm = 37%\nn = %(x)s\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [
                 ["a", "environmental"], ["b", "environmental"], ["c", "${this:is:not:valid}"], ["d", "$environmental"],
                 ["e", "${}"], ["f", "$UNSET"], ["g", "environmentalx"], ["h", "$FOOx"], ["i", "${a${FOO}}"],
                 ["j", "."], ["k", "$"], ["l", "${FOO"], ["m", "37%"], ["n", "%(x)s"],
             ]])),
        Case(name: "CRLF and CR line breaks",
             text: "[s]\r\na = 1\r\n  2\r\nb = 3\rc = 4\r",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", "1\n2"], ["b", "3"], ["c", "4"]]])),
        Case(name: "empty values",
             text: "[s]\na =\nb:\nc = \n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["a", ""], ["b", ""], ["c", ""]]])),
        Case(name: "comments and blank lines before the first section",
             text: "# only comment\n\n[s]\nok=1\n",
             expected: .success(["s"], ["DEFAULT": [], "s": [["ok", "1"]]])),
        Case(name: "an empty file", text: "", expected: .success([], ["DEFAULT": []])),
        Case(name: "two [DEFAULT] blocks merge",
             text: "[DEFAULT]\nx=1\n[DEFAULT]\ny=2\n[s]\n",
             expected: .success(["s"], ["DEFAULT": [["x", "1"], ["y", "2"]], "s": [["x", "1"], ["y", "2"]]])),
        Case(name: "an option before any section",
             text: "x = 1\n",
             expected: .failure("MissingSectionHeaderError", "File contains no section headers.\nfile: 't.ini', line: 1\n'x = 1\\n'")),
        Case(name: "[] is not a section header",
             text: "[]\n",
             expected: .failure("MissingSectionHeaderError", "File contains no section headers.\nfile: 't.ini', line: 1\n'[]\\n'")),
        Case(name: "duplicate section",
             text: "[a]\nx = 1\n[b]\nx = 2\n[a]\n",
             expected: .failure("DuplicateSectionError", "While reading from 't.ini' [line  5]: section 'a' already exists")),
        Case(name: "duplicate option, names compared lower-cased",
             text: "[a]\nx=1\nX=2\n",
             expected: .failure("DuplicateOptionError", "While reading from 't.ini' [line  3]: option 'x' in section 'a' already exists")),
        Case(name: "duplicate option across [DEFAULT] blocks",
             text: "[DEFAULT]\nx=1\n[DEFAULT]\nx=2\n",
             expected: .failure("DuplicateOptionError", "While reading from 't.ini' [line  4]: option 'x' in section 'DEFAULT' already exists")),
        Case(name: "every invalid line is listed",
             text: "[a]\ngarbage\n= v\n  [b\nok = 1\n",
             expected: .failure("ParsingError", "Source contains parsing errors: 't.ini'\n\t[line  2]: 'garbage\\n'\n\t[line  3]: '= v\\n'\n\t[line  4]: '  [b\\n'")),
        Case(name: "a second empty option name is a duplicate, before the parsing error",
             text: "[a]\n= v\n= w\n",
             expected: .failure("DuplicateOptionError", "While reading from 't.ini' [line  3]: option '' in section 'a' already exists")),
        Case(name: "a key without a value",
             text: "[s]\nkey",
             expected: .failure("ParsingError", "Source contains parsing errors: 't.ini'\n\t[line  2]: 'key'")),
    ]

    @Test(arguments: cases)
    func configparserSemantics(_ c: Case) {
        #expect(INIOutcome.of(c.text, environment: Self.environment) == c.expected)
    }

    /// baseplate.py v2.7.0 `tests/unit/server/server_tests.py::test_read_config`.
    @Test(arguments: [
        ("", nil),
        ("foo = bar", "bar"),
        ("foo = $FOO_FROM_ENV", "environmental"),
        ("foo = ${FOO_FROM_ENV}", "environmental"),
        ("foo = ${this:is:not:valid}", "${this:is:not:valid}"),
    ] as [(String, String?)])
    func readConfig(_ line: String, _ expected: String?) throws {
        let ini = try INIFile(text: "[app:main]\n\(line)\n", path: "<test>")
        let app = try #require(ini.section("app:main", environment: ["FOO_FROM_ENV": "environmental"]))
        #expect(app["foo"] == expected)
    }

    @Test func errorsNameTheFileAndLine() throws {
        let error = try #require(throws: INIFile.ParseError.self) {
            try INIFile(text: "[a]\nx = 1\n[a]\n", path: "/etc/svc.ini")
        }
        #expect(error.file == "/etc/svc.ini")
        #expect(error.line == 3)
        #expect(error.kind == .duplicateSection("a"))
        #expect(error.description == "/etc/svc.ini:3: section 'a' already exists")

        let parsing = try #require(throws: INIFile.ParseError.self) {
            try INIFile(text: "[a]\nok = 1\nnonsense\nmore nonsense\n", path: "svc.ini")
        }
        #expect(parsing.kind == .invalidLines([3, 4]))
        #expect(parsing.description == "svc.ini:3: Source contains parsing errors: [line 3]: 'nonsense'; [line 4]: 'more nonsense'")

        let header = try #require(throws: INIFile.ParseError.self) { try INIFile(text: "\n\nfactory = x\n", path: "svc.ini") }
        #expect(header.description == "svc.ini:3: File contains no section headers: 'factory = x'")

        let option = try #require(throws: INIFile.ParseError.self) { try INIFile(text: "[s]\nA=1\na=2\n", path: "svc.ini") }
        #expect(option.description == "svc.ini:3: option 'a' in section 's' already exists")
    }

    @Test func sectionsAndLookups() throws {
        let ini = try INIFile(text: """
            [DEFAULT]
            base = /srv
            [server:main]
            factory = baseplate.server.thrift
            [app:main]
            factory = example:make_app
            path = $HOME_DIR/data
            """, path: "x.ini")
        let env = ["HOME_DIR": "/home/me"]
        #expect(ini.sectionNames == ["server:main", "app:main"])
        #expect(ini.hasSection("app:main"))
        #expect(!ini.hasSection("DEFAULT"))
        #expect(!ini.hasSection("App:main"))
        #expect(ini.section("app:main", environment: env) == ["base": "/srv", "factory": "example:make_app", "path": "/home/me/data"])
        #expect(ini.section("DEFAULT", environment: env) == ["base": "/srv"])
        #expect(ini.section("app:other", environment: env) == nil)
        #expect(ini.value("PATH", in: "app:main", environment: env) == "/home/me/data")
        #expect(ini.value("base", in: "server:main", environment: env) == "/srv")
        let missing = try #require(throws: INIFile.NoSectionError.self) { try ini.requireSection("app:nope", environment: env) }
        #expect(missing.description == "x.ini: No section: 'app:nope'")
    }

    @Test func fileErrors() throws {
        let error = try #require(throws: INIFile.ParseError.self) { try INIFile(contentsOf: "/nonexistent/dir/x.ini") }
        #expect(error.kind == .unreadable)
        #expect(error.description == "/nonexistent/dir/x.ini:0: can't open '/nonexistent/dir/x.ini': No such file or directory")
    }

    @Test func readsFilesWithByteOrderMarkAndRejectsInvalidUTF8() throws {
        let path = "/tmp/bp-ini-\(getpid()).ini"
        defer { unlink(path) }
        try writeConfigTestFile(path, [0xEF, 0xBB, 0xBF] + Array("[s]\na = 1\n".utf8))
        #expect(try INIFile(contentsOf: path).section("s", environment: [:]) == ["a": "1"])
        try writeConfigTestFile(path, Array("[s]\na = 1\nb = ".utf8) + [0xFF, 0x0A])
        let error = try #require(throws: INIFile.ParseError.self) { try INIFile(contentsOf: path) }
        #expect(error.kind == .invalidEncoding)
        #expect(error.line == 3)
    }

    @Test func expandVariables() {
        let env = ["A": "1", "B_2": "two", "a:b": "odd"]
        #expect(INIFile.expandVariables("$A$B_2 ${A}x $A_ ${a:b} $ ${ $}", environment: env) == "1two 1x $A_ odd $ ${ $}")
        #expect(INIFile.expandVariables("no dollars", environment: env) == "no dollars")
    }
}

func writeConfigTestFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let f = fopen(path, "wb") else { throw INIFile.NoSectionError(file: path, section: "cannot write") }
    defer { fclose(f) }
    _ = fwrite(bytes, 1, bytes.count, f)
}
