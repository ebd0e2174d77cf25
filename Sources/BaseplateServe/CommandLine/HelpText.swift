#if canImport(Glibc)
import Glibc
#endif

/// Usage and help in argparse's layout, so that a usage line reads as baseplate.py's does.
extension CommandSyntax {
    /// Parses this process's arguments. `--help` prints the help and exits 0; a usage error
    /// prints the usage and `PROGRAM: error: ...` on stderr and exits 2, as argparse does.
    func parseCommandLine() -> ParsedArguments {
        do throws(Failure) {
            return try parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            let width = Self.textWidth()
            switch error {
            case .helpRequested:
                print(help(width: width), terminator: "")
                exit(0)
            case .usage(let message):
                writeError(usage(width: width) + "\(program): error: \(message)")
                exit(2)
            }
        }
    }

    /// argparse's width: `$COLUMNS` (else 80) less 2.
    static func textWidth() -> Int {
        let columns = getenv("COLUMNS").flatMap { Int(String(cString: $0)) }.flatMap { $0 > 0 ? $0 : nil }
        return (columns ?? 80) - 2
    }

    /// `usage: PROGRAM [-h] [OPTIONS] POSITIONALS`, wrapped to `width` as argparse wraps it:
    /// options after the program name, positionals from a line of their own, both indented
    /// under the first option.
    func usage(width: Int) -> String {
        let prefix = "usage: "
        let optionParts = ["[-h]"] + options.map { "[" + invocation($0) + "]" }
        let positionalParts = positionals.map(\.label)
        let oneLine = ([program] + optionParts + positionalParts).joined(separator: " ")
        guard prefix.count + oneLine.count > width else { return prefix + oneLine + "\n" }
        // A long program name: everything under it, indented as far as "usage: ".
        let short = Double(prefix.count + program.count) <= 0.75 * Double(width)
        let indent = String(repeating: " ", count: short ? prefix.count + program.count + 1 : prefix.count)
        var lines: [String]
        if short {
            lines = Self.fill([program] + optionParts, indent: indent, firstLead: prefix.count, width: width)
            lines[0].removeFirst(indent.count)
            lines += Self.fill(positionalParts, indent: indent, width: width)
        } else {
            lines = Self.fill(optionParts + positionalParts, indent: indent, width: width)
            if lines.count > 1 {
                lines = Self.fill(optionParts, indent: indent, width: width)
                    + Self.fill(positionalParts, indent: indent, width: width)
            }
            lines.insert(program, at: 0)
        }
        return prefix + lines.joined(separator: "\n") + "\n"
    }

    /// The usage, the description, then every argument with its help, aligned in a column.
    func help(width: Int) -> String {
        var text = usage(width: width) + "\n" + Self.wrap(description, width: width).joined(separator: "\n") + "\n"
        var entries = positionals.map { ($0.label, $0.help) }
        if let passThrough { entries.append((passThrough.name + " ...", passThrough.help)) }
        let optionEntries = [("-h, --help", "show this help message and exit")] + options.map { option in
            let help = option.takesValue && !option.defaultValue.isEmpty
                ? option.help + " (default: \(option.defaultValue))" : option.help
            return (invocation(option), help)
        }
        let column = min(24, (entries + optionEntries).map { $0.0.count + 2 }.max()! + 2)
        if !entries.isEmpty { text += "\npositional arguments:\n" + Self.table(entries, column: column, width: width) }
        text += "\noptions:\n" + Self.table(optionEntries, column: column, width: width)
        return text
    }

    private func invocation(_ option: Option) -> String {
        option.metavar.map { option.name + " " + $0 } ?? option.name
    }

    /// Two-space indented names, help from `column` (on the next line if the name is too long).
    private static func table(_ entries: [(String, String)], column: Int, width: Int) -> String {
        var out = ""
        for (name, help) in entries {
            let lines = wrap(help, width: max(width - column, 11))
            let pad = String(repeating: " ", count: column)
            if name.count <= column - 4 {
                out += "  " + name + String(repeating: " ", count: column - 2 - name.count) + (lines.first ?? "") + "\n"
                out += lines.dropFirst().map { pad + $0 + "\n" }.joined()
            } else {
                out += "  " + name + "\n" + lines.map { pad + $0 + "\n" }.joined()
            }
        }
        return out
    }

    /// Parts joined by spaces into lines of at most `width` (a part longer than that alone),
    /// each line after `indent`; the first line's lead-in is `firstLead` wide instead.
    private static func fill(_ parts: [String], indent: String, firstLead: Int? = nil, width: Int) -> [String] {
        var lines: [String] = []
        var line: [String] = []
        var length = (firstLead ?? indent.count) - 1
        for part in parts {
            if length + 1 + part.count > width && !line.isEmpty {
                lines.append(indent + line.joined(separator: " "))
                line = []
                length = indent.count - 1
            }
            line.append(part)
            length += part.count + 1
        }
        if !line.isEmpty { lines.append(indent + line.joined(separator: " ")) }
        return lines
    }

    private static func wrap(_ text: String, width: Int) -> [String] {
        fill(text.split(separator: " ").map(String.init), indent: "", width: width)
    }
}
