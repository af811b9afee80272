import Foundation
import UnderstudyModel

/// Where episodes and exports read recordings from. The `understudy` command implements it
/// over the vault; this module never opens one itself.
public protocol RecordingSource {
    /// Every session, oldest first.
    func sessions() throws -> [Session]
    /// A session's events, as stored.
    func events(of session: Session) throws -> [Event]
    /// A stored frame's record (its redaction boxes, or why it was withheld); nil when unknown.
    func frame(_ hash: String, of session: Session) throws -> FrameRecord?
    /// A stored frame as the bytes of a PNG file.
    func png(_ hash: String, of session: Session) throws -> Data
}

/// What exports need to know of a stored frame besides its pixels.
public struct FrameRecord: Sendable, Equatable {
    /// The boxes redaction filled in it.
    public var redactions: [FrameRedaction]
    /// Why its pixels were not stored, when they were not.
    public var withheld: String?

    public init(redactions: [FrameRedaction], withheld: String? = nil) {
        self.redactions = redactions
        self.withheld = withheld
    }
}

/// The window in focus at each moment of a session, from its `focus` events.
struct FocusTimeline {
    private let changes: [(t: UInt64, window: WindowContext)]

    init(_ events: [Event]) {
        changes = events.compactMap { e in
            if case .focus(let window) = e.body { (e.tNs, window) } else { nil }
        }.sorted { $0.t < $1.t }
    }

    /// The focused window at `t` (the last focus change at or before it).
    func window(at t: UInt64) -> WindowContext? {
        let end = changes.countInTime(upTo: t, including: true) { $0.t }
        return end > 0 ? changes[end - 1].window : nil
    }

    /// The apps in focus at these times, each once, in order of first appearance.
    func apps(at times: some Sequence<UInt64>) -> [String] {
        var apps: [String] = []
        for t in times { if let app = window(at: t)?.app, !app.isEmpty, !apps.contains(app) { apps.append(app) } }
        return apps
    }
}
