import Foundation
import UnderstudyModel

/// One line of `understudy episodes`: an episode and whether the export's default quality
/// filters would leave it out. Encoded, it is one line of `episodes --json`.
public struct EpisodeListing: Encodable, Sendable {
    public var id: String
    public var session: String
    public var started: Date
    /// Seconds, to the hundredth.
    public var durationS: Double
    @Nullable public var instruction: String?
    public var outcome: String
    public var steps: Int
    public var actions: Int
    public var apps: [String]
    /// The filter that would leave it out of an export, or nil.
    @Nullable public var leftOutByDefault: String?

    public init(_ e: Episode, filter: QualityFilter = QualityFilter()) {
        (id, session, started, instruction) = (e.id, e.session.id, e.startedAt, e.instruction)
        durationS = Double((e.endNs - e.startNs) / 10_000_000) / 100
        (outcome, steps, actions, apps) = (e.outcome.rawValue, e.steps.count, e.actionCount, e.apps)
        leftOutByDefault = filter.rejection(of: e)
    }

    public var text: String {
        let what = instruction.map { "\"\($0)\"" } ?? "(no instruction)"
        return
            "\(id)  \(RFC3339.string(from: started))  \(String(format: "%.1fs", durationS))  \(steps) steps  \(outcome)  \(what)  [\(apps.joined(separator: ", "))]"
            + (leftOutByDefault.map { "  (left out of exports: \($0))" } ?? "")
    }
}
