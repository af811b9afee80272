import Foundation
import Yams

/// A document error with the line it is on, in words a policy author can act on.
public struct DocumentError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String

    public var description: String { "\(file):\(line): \(reason)" }
}

/// Reads one YAML mapping strictly: every key must be known, read once and of the right type,
/// and every problem names its line. Shared by policies, the catalog and the collector's config.
package struct YAMLFields {
    package let file: String
    package let line: Int
    private let pairs: [(key: String, line: Int, value: Node)]

    /// Parses `text` and returns its top-level mapping.
    package static func document(_ text: String, file: String) throws(DocumentError) -> YAMLFields {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
            let key = duplicates.sorted().first ?? ""
            throw DocumentError(file: file, line: Self.secondLine(of: key, in: text) ?? context.mark.line, reason: "'\(key)' is given twice")
        } catch let error as YamlError {
            throw DocumentError(file: file, line: Self.line(of: error), reason: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw DocumentError(file: file, line: 1, reason: "not valid YAML: \(error)")
        }
        guard let node else { throw DocumentError(file: file, line: 1, reason: "the document is empty") }
        return try YAMLFields(node, file: file, what: "the document")
    }

    package init(_ node: Node, file: String, what: String) throws(DocumentError) {
        self.file = file
        line = node.mark?.line ?? 1
        guard let mapping = node.mapping else { throw DocumentError(file: file, line: line, reason: "\(what) must be a mapping of fields") }
        var seen: Set<String> = []
        var pairs: [(String, Int, Node)] = []
        for (key, value) in mapping {
            let keyLine = key.mark?.line ?? line
            guard let name = key.string else { throw DocumentError(file: file, line: keyLine, reason: "a field name must be text") }
            guard seen.insert(name).inserted else { throw DocumentError(file: file, line: keyLine, reason: "'\(name)' is given twice") }
            pairs.append((name, keyLine, value))
        }
        self.pairs = pairs
    }

    /// Fails on the first field not in `known`, naming the fields that are.
    package func rejectUnknown(_ known: [String], in what: String) throws(DocumentError) {
        for pair in pairs where !known.contains(pair.key) {
            throw DocumentError(
                file: file, line: pair.line, reason: "unknown field '\(pair.key)' in \(what) (known: \(known.joined(separator: ", ")))")
        }
    }

    package var keys: [String] { pairs.map(\.key) }

    package func node(_ key: String) -> (node: Node, line: Int)? {
        pairs.first { $0.key == key }.map { ($0.value, $0.line) }
    }

    package func error(_ key: String, _ reason: String) -> DocumentError {
        DocumentError(file: file, line: node(key)?.line ?? line, reason: "'\(key)': \(reason)")
    }

    package func string(_ key: String) throws(DocumentError) -> String? {
        guard let (node, _) = node(key) else { return nil }
        guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(key, "must be text") }
        return scalar.string
    }

    package func requiredString(_ key: String) throws(DocumentError) -> String {
        guard let value = try string(key) else { throw DocumentError(file: file, line: line, reason: "'\(key)' is missing") }
        return value
    }

    package func bool(_ key: String) throws(DocumentError) -> Bool? {
        guard let (node, _) = node(key) else { return nil }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "must be true or false")
        }
    }

    package func int(_ key: String) throws(DocumentError) -> Int? {
        guard let (node, _) = node(key) else { return nil }
        guard let value = node.scalar.flatMap({ Int($0.string) }) else { throw error(key, "must be a whole number") }
        return value
    }

    package func strings(_ key: String) throws(DocumentError) -> [String]? {
        guard let (node, line) = node(key) else { return nil }
        guard let sequence = node.sequence else { throw error(key, "must be a list") }
        return try sequence.map { item throws(DocumentError) in
            guard let text = item.scalar?.string, !text.isEmpty else {
                throw DocumentError(file: file, line: item.mark?.line ?? line, reason: "'\(key)': each item must be text")
            }
            return text
        }
    }

    /// The mappings of a list field, each with its own strict reader.
    package func mappings(_ key: String) throws(DocumentError) -> [YAMLFields]? {
        guard let (node, _) = node(key) else { return nil }
        guard let sequence = node.sequence else { throw error(key, "must be a list") }
        return try sequence.map { item throws(DocumentError) in try YAMLFields(item, file: file, what: "each item of '\(key)'") }
    }

    package func mapping(_ key: String) throws(DocumentError) -> YAMLFields? {
        guard let (node, _) = node(key) else { return nil }
        return try YAMLFields(node, file: file, what: "'\(key)'")
    }

    /// The line where `key:` appears a second time at the indentation of its first appearance.
    private static func secondLine(of key: String, in text: String) -> Int? {
        var indentation: Int?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("\(key):") else { continue }
            let indent = line.count - trimmed.count
            if indentation == indent { return index + 1 }
            indentation = indentation ?? indent
        }
        return nil
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): mark.line
        default: 1
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): problem
        default: "\(error)"
        }
    }
}
