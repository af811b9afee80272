import Synchronization
import UnderstudyModel

/// Counts the events handed to the writer, by kind, for the end-of-session report.
final class EventTally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts `events` and returns them.
    func count(_ events: [CapturedEvent]) -> [CapturedEvent] {
        counts.withLock { for event in events { $0[event.body.kind, default: 0] += 1 } }
        return events
    }

    var byKind: [String: Int] { counts.withLock { $0 } }
}
