import Foundation
import UnderstudyModel

/// Splits a session's steps into episodes when no task markers say where tasks begin and end.
///
/// A new episode begins when input stops for ``Settings/idleGap`` or more, or when the
/// contributor switches to another app after ``Settings/switchPause`` without input (a pause,
/// then something else: likely a new task). Waits at an episode's edges are dropped, and each
/// episode ends with `done`. Episodes with no step but `done` are left out.
public enum Episodes {
    public struct Settings: Sendable, Equatable {
        public var idleGap: Duration = .seconds(300)
        public var switchPause: Duration = .seconds(60)

        public init() {}
    }

    /// One episode: its steps (the last is `done`) and the apps its steps happened in.
    public struct Episode: Sendable, Equatable {
        public var steps: [ActionCompiler.Step]
        public var apps: [String]
    }

    public static func split(_ steps: [ActionCompiler.Step], events: [Event], settings: Settings = Settings()) -> [Episode] {
        let focus = FocusTimeline(events)
        func app(at t: UInt64) -> String? { focus.window(at: t)?.app }

        var episodes: [[ActionCompiler.Step]] = [[]]
        var previous: ActionCompiler.Step?
        for step in steps where step.action != .done {
            if case .wait = step.action {
                episodes[episodes.count - 1].append(step)
                continue
            }
            if let before = previous {
                let quiet = step.startNs &- before.endNs
                let switched = app(at: step.startNs) != app(at: before.endNs)
                if quiet >= settings.idleGap.ns || (switched && quiet >= settings.switchPause.ns) { episodes.append([]) }
            }
            episodes[episodes.count - 1].append(step)
            previous = step
        }
        return episodes.compactMap { steps in
            let trimmed = trimmingWaits(steps)
            guard let end = trimmed.last?.endNs else { return nil }
            let apps = focus.apps(at: trimmed.map(\.startNs))
            return Episode(steps: trimmed + [ActionCompiler.Step(action: .done, startNs: end, endNs: end, path: [])], apps: apps)
        }
    }

    /// `steps` without the waits at their start and end: an episode begins and ends with an action.
    static func trimmingWaits(_ steps: [ActionCompiler.Step]) -> [ActionCompiler.Step] {
        func isWait(_ step: ActionCompiler.Step) -> Bool { if case .wait = step.action { true } else { false } }
        guard let first = steps.firstIndex(where: { !isWait($0) }), let last = steps.lastIndex(where: { !isWait($0) }) else { return [] }
        return Array(steps[first...last])
    }
}
