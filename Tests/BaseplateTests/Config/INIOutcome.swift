@testable import Baseplate

/// What reading an INI text gives, in a form both Swift and the Python oracle produce:
/// the sections and every section's `items()` (DEFAULT included), or the error.
struct INIOutcome: Codable, Equatable, CustomStringConvertible {
    var error: String?
    var message: String?
    var sections: [String]?
    var items: [String: [[String]]]?

    static func failure(_ error: String, _ message: String) -> INIOutcome {
        INIOutcome(error: error, message: message)
    }

    static func success(_ sections: [String], _ items: [String: [[String]]]) -> INIOutcome {
        INIOutcome(sections: sections, items: items)
    }

    /// Reads `text` with `INIFile`, expanding with `environment`.
    static func of(_ text: String, environment: [String: String]) -> INIOutcome {
        do {
            let ini = try INIFile(text: text, path: "t.ini")
            var items: [String: [[String]]] = [:]
            for name in ["DEFAULT"] + ini.sectionNames {
                items[name] = ini.items(name, environment: environment)!.map { [$0.key, $0.value] }
            }
            return .success(ini.sectionNames, items)
        } catch let error as INIFile.ParseError {
            return .failure(error.pythonClass, error.configparserMessage)
        } catch {
            return .failure("unexpected", "\(error)")
        }
    }

    var description: String {
        if let error { return "\(error): \(message ?? "")" }
        return "sections \(sections ?? []) items \(items ?? [:])"
    }
}

extension INIFile.ParseError {
    var pythonClass: String {
        switch kind {
        case .missingSectionHeader: return "MissingSectionHeaderError"
        case .duplicateSection: return "DuplicateSectionError"
        case .duplicateOption: return "DuplicateOptionError"
        case .invalidLines: return "ParsingError"
        case .unreadable, .invalidEncoding: return "OSError"
        }
    }
}
