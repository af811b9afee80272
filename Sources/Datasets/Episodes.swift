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
        // The focused app at each moment, from focus events.
        let focus = events.compactMap { e -> (t: UInt64, app: String)? in
            if case let .focus(window) = e.body { (e.tNs, window.app) } else { nil }
        }
        func app(at t: UInt64) -> String? { focus.last { $0.t <= t }?.app }

        var episodes: [[ActionCompiler.Step]] = [[]]
        var previous: ActionCompiler.Step?
        for step in steps where step.action != .done {
            if case .wait = step.action { episodes[episodes.count - 1].append(step); continue }
            if let before = previous {
                let quiet = step.startNs &- before.endNs
                let switched = app(at: step.startNs) != app(at: before.endNs)
                if quiet >= settings.idleGap.ns || (switched && quiet >= settings.switchPause.ns) { episodes.append([]) }
            }
            episodes[episodes.count - 1].append(step)
            previous = step
        }
        return episodes.compactMap { steps in
            var trimmed = steps
            while let first = trimmed.first, case .wait = first.action { trimmed.removeFirst() }
            while let last = trimmed.last, case .wait = last.action { trimmed.removeLast() }
            guard let end = trimmed.last?.endNs else { return nil }
            var apps: [String] = []
            for step in trimmed { if let name = app(at: step.startNs), !apps.contains(name) { apps.append(name) } }
            return Episode(steps: trimmed + [ActionCompiler.Step(action: .done, startNs: end, endNs: end, path: [])], apps: apps)
        }
    }
}
