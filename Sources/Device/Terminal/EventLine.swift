import Foundation
import UnderstudyModel

extension Event {
    /// A compact line for `understudy log`: seq, seconds since the session started, kind, fields.
    public var line: String {
        let fields = body.fields.map { key, value in "\(key)=\(value.serialized)" }.joined(separator: " ")
        let seconds = String(format: "%.3f", Double(tNs) / 1e9)
        let seq = String(self.seq)
        return
            "\(String(repeating: " ", count: max(0, 6 - seq.count)))\(seq)  +\(seconds)s  \(kind.padding(toLength: 12, withPad: " ", startingAt: 0)) \(fields)"
    }
}
