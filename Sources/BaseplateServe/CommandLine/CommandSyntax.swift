#if canImport(Glibc)
import Glibc
#endif

/// A command's options and positionals, parsed the way Python's argparse parses baseplate.py's
/// tools (their command lines are the outside behaviour to match): `--name value` and
/// `--name=value`, unique prefixes of long names, `--` ending the options, `-h`/`--help`, and
/// argparse's error texts. Hand-written so that the tools need no Foundation.
struct CommandSyntax: Sendable {
    /// A value check, named in errors as argparse names a `type=` function: "invalid NAME value".
    struct ValueType: Sendable {
        var name: String
        var accepts: @Sendable (String) -> Bool
    }

    struct Option: Sendable {
        var name: String
        /// nil for a flag (argparse's `store_true`).
        var metavar: String?
        var defaultValue = ""
        var choices: [String] = []
        var type: ValueType?
        var help: String

        static func flag(_ name: String, help: String) -> Option {
            Option(name: name, metavar: nil, help: help)
        }

        static func value(_ name: String, metavar: String? = nil, default defaultValue: String,
                          choices: [String] = [], type: ValueType? = nil, help: String) -> Option {
            Option(name: name, metavar: metavar ?? braced(choices), defaultValue: defaultValue,
                   choices: choices, type: type, help: help)
        }

        var takesValue: Bool { metavar != nil }
    }

    /// A required positional. `name` is what errors call it; usage shows the choices if any.
    struct Positional: Sendable {
        var name: String
        var choices: [String] = []
        var type: ValueType?
        var help: String

        var label: String { choices.isEmpty ? name : CommandSyntax.braced(choices) }
    }

    enum Failure: Error, Equatable {
        case helpRequested
        case usage(String)
    }

    var program: String
    var description: String
    var options: [Option]
    var positionals: [Positional]
    /// baseplate-script's `parse_known_args`: unknown options and surplus positionals are
    /// handed on (described in the help by this name and text) instead of being errors.
    var passThrough: (name: String, help: String)?

    static let helpNames = ["-h", "--help"]

    func parse(_ arguments: [String]) throws(Failure) -> ParsedArguments {
        var parsed = ParsedArguments()
        var unrecognized: [String] = []
        var filled = 0
        var onlyPositionals = false
        var afterPositional = false
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if !onlyPositionals && argument == "--" {
                onlyPositionals = true
                // argparse (3.11) drops the `--` only where a positional takes it in: while
                // some are unfilled, or right after the last one's value; else it is handed on.
                if filled == positionals.count && !afterPositional { unrecognized.append(argument) }
                continue
            }
            let kind = onlyPositionals ? .positional : try classify(argument)
            afterPositional = false
            switch kind {
            case .positional:
                guard filled < positionals.count else {
                    unrecognized.append(argument)
                    continue
                }
                let positional = positionals[filled]
                filled += 1
                afterPositional = true
                try check(argument, of: positional.name, choices: positional.choices, type: positional.type)
                parsed.values[positional.name] = argument
            case .unknownOption:
                unrecognized.append(argument)
            case .help:
                throw .helpRequested
            case .option(let option, let inline):
                guard option.takesValue else {
                    if let inline { throw .usage("argument \(option.name): ignored explicit argument \(pythonRepr(inline))") }
                    parsed.flags.insert(option.name)
                    continue
                }
                let value: String
                if let inline {
                    value = inline
                } else if i < arguments.count, case .positional = try classify(arguments[i]) {
                    value = arguments[i]
                    i += 1
                } else {
                    throw .usage("argument \(option.name): expected one argument")
                }
                try check(value, of: option.name, choices: option.choices, type: option.type)
                parsed.values[option.name] = value
            }
        }
        let missing = positionals[filled...].map(\.name)
        if !missing.isEmpty {
            throw .usage("the following arguments are required: \(missing.joined(separator: ", "))")
        }
        if passThrough != nil {
            parsed.extra = unrecognized
        } else if !unrecognized.isEmpty {
            throw .usage("unrecognized arguments: \(unrecognized.joined(separator: " "))")
        }
        return parsed
    }

    private enum Kind {
        case positional, unknownOption, help
        case option(Option, inline: String?)
    }

    /// What argparse takes an argument for: an option (by its exact name, `name=value`, or a
    /// unique prefix of a long name), an option it does not know, or a positional (`-`,
    /// negative numbers and anything with a space included).
    private func classify(_ argument: String) throws(Failure) -> Kind {
        guard argument.count > 1, argument.hasPrefix("-") else { return .positional }
        if argument == "--" { return .unknownOption }  // not a value, and a prefix of every name
        var spelled = argument
        var inline: String?
        if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
            spelled = String(argument[..<equals])
            inline = String(argument[argument.index(after: equals)...])
        }
        let names = Self.helpNames + options.map(\.name)  // argparse's order, for the ambiguity error
        var matches = names.filter { $0 == spelled }
        if matches.isEmpty && spelled.hasPrefix("--") {
            matches = names.filter { $0.hasPrefix("--") && $0.hasPrefix(spelled) }
        }
        if matches.count > 1 {
            throw .usage("ambiguous option: \(argument) could match \(matches.joined(separator: ", "))")
        }
        if let name = matches.first {
            if Self.helpNames.contains(name) { return .help }
            return .option(options.first { $0.name == name }!, inline: inline)
        }
        if Self.isNegativeNumber(argument) || argument.contains(" ") { return .positional }
        return .unknownOption
    }

    private func check(_ value: String, of name: String, choices: [String], type: ValueType?) throws(Failure) {
        if let type, !type.accepts(value) {
            throw .usage("argument \(name): invalid \(type.name) value: \(pythonRepr(value))")
        }
        if !choices.isEmpty && !choices.contains(value) {
            let allowed = choices.map(pythonRepr).joined(separator: ", ")
            throw .usage("argument \(name): invalid choice: \(pythonRepr(value)) (choose from \(allowed))")
        }
    }

    /// `-5`, `-.5`, `-1.5`: values, not options (none of ours looks like a number).
    private static func isNegativeNumber(_ text: String) -> Bool {
        let body = text.dropFirst()
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        if parts.count == 1 { return !body.isEmpty && digits(body) }
        return digits(parts[0]) && !parts[1].isEmpty && digits(parts[1])
    }

    static func braced(_ choices: [String]) -> String { "{" + choices.joined(separator: ",") + "}" }
}

/// What a command line said: option values (given or default), flags, positionals.
struct ParsedArguments: Sendable {
    fileprivate(set) var values: [String: String] = [:]
    fileprivate(set) var flags: Set<String> = []
    /// With `passThrough`: the arguments that were not ours, in their order.
    fileprivate(set) var extra: [String] = []

    func isSet(_ flag: CommandSyntax.Option) -> Bool { flags.contains(flag.name) }

    subscript(option: CommandSyntax.Option) -> String { values[option.name] ?? option.defaultValue }

    /// Positionals are required, so a parsed one always has a value.
    subscript(positional: CommandSyntax.Positional) -> String { values[positional.name]! }
}

/// Python's `repr` of a string, as argparse quotes values in its errors.
func pythonRepr(_ text: String) -> String {
    let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for c in text {
        switch c {
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case quote: out += "\\" + String(quote)
        default: out.append(c)
        }
    }
    out.append(quote)
    return out
}
