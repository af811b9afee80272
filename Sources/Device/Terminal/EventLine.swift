import Foundation
import UnderstudyModel

extension Event {
    /// A compact line for `understudy log`: seq, seconds since the session started, kind, fields.
    public var line: String {
        let fields = lineFields.map { key, value in "\(key)=\(value.serialized)" }.joined(separator: " ")
        let seconds = String(format: "%.3f", Double(tNs) / 1e9)
        let seq = String(self.seq)
        return
            "\(String(repeating: " ", count: max(0, 6 - seq.count)))\(seq)  +\(seconds)s  \(kind.padding(toLength: 12, withPad: " ", startingAt: 0)) \(fields)"
    }

    /// The fields the line shows: all of them, except a snapshot's nodes, which are counted and
    /// the first few named (`log --json` has them all).
    private var lineFields: [(String, JSONValue)] {
        guard case .accessibilitySnapshot(let frame, let window, let snapshot) = body else { return body.fields }
        let named = snapshot.nodes.filter { !$0.name.isEmpty }.prefix(4).map { JSONValue.string("\($0.role) \($0.name)") }
        return [
            ("frame", .string(frame)), ("window", .int(Int64(bitPattern: window))), ("truncated", .bool(snapshot.truncated)),
            ("nodes", .int(Int64(snapshot.nodes.count))), ("named", .array(Array(named))),
        ]
    }
}
