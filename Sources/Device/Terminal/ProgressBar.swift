import Foundation
import UnderstudyModel

/// A one-line progress bar on standard error, shown only on a terminal and only once the work
/// has taken a second: short exports print nothing extra.
public struct ProgressBar {
    let label: String
    private let started = ContinuousClock.now
    private let enabled = isatty(2) == 1
    private var shown = false
    private var lastDraw: ContinuousClock.Instant?

    public init(label: String) { self.label = label }

    public mutating func update(_ done: Int, of total: Int, bytes: Int64) {
        let now = ContinuousClock.now
        guard enabled, now - started >= .seconds(1), lastDraw.map({ now - $0 >= .milliseconds(100) }) ?? true || done == total else { return }
        lastDraw = now
        shown = true
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) \(bar) \(done)/\(total) steps, \(ByteSizeText.string(bytes))\u{1B}[K".utf8))
    }

    public func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
