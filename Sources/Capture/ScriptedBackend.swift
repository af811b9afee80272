import Foundation
import UnderstudyModel

/// Replays events from a JSON-lines file: each line is an event in the contract's JSON form
/// (`seq` and `wall` may be left out). For tests of everything above capture, and for
/// reproducing a session without an X server.
public final class ScriptedBackend: CaptureBackend {
    public let name = "scripted"
    public let display: String
    public let screen: ScreenGeometry
    public let originNs: UInt64
    public let records: AsyncThrowingStream<CaptureRecord, Error>

    /// Reads the whole script first, so a bad line fails here with its line number.
    public init(script: URL, screen: ScreenGeometry = ScreenGeometry(width: 1920, height: 1080, monitors: [])) throws {
        let text = try String(contentsOf: script, encoding: .utf8)
        var items: [CapturedEvent] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            do {
                let json = try JSONValue.parse(Data(trimmed.utf8))
                guard let kind = json["kind"]?.stringValue, let t = json["t_ns"]?.intValue, t >= 0 else {
                    throw CaptureError.badScript(line: index + 1, reason: "needs 'kind' and a non-negative 't_ns'")
                }
                items.append(CapturedEvent(tNs: UInt64(t), body: try EventBody(kind: kind, fields: json)))
            } catch let error as CaptureError {
                throw error
            } catch {
                throw CaptureError.badScript(line: index + 1, reason: "\(error)")
            }
        }
        display = "script:\(script.lastPathComponent)"
        self.screen = screen
        originNs = MonotonicClock.nowNs()
        records = AsyncThrowingStream { continuation in
            continuation.yield(.events(items))
            continuation.finish()
        }
    }

    public func stop() {}
    public func requestKeyframe() {}
    public func pipelineStats() -> FramePipelineStats { FramePipelineStats() }
}
