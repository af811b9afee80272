import Foundation
import UnderstudyModel

/// One task as training data: an instruction (when the contributor marked the task), the
/// steps that performed it, and what each step was decided on.
public struct Episode: Sendable {
    /// How the episode ended.
    public enum Outcome: String, Sendable {
        /// Marked with `understudy task end`.
        case done
        /// Marked with `understudy task end --failed`.
        case failed
        /// Started with `understudy task start`, but the session ended before `task end`.
        case unfinished
        /// No task markers: found by automatic segmentation (``Episodes``).
        case unmarked
    }

    /// `{first 8 hex digits of the session id}-{number in the session, from 001}`: no dots,
    /// so it can be a WebDataset key.
    public var id: String
    public var session: Session
    public var instruction: String?
    public var outcome: Outcome
    /// The steps in order; the last is `done` (or `fail` for a failed task).
    public var steps: [EpisodeStep]
    /// The apps its steps happened in, in order of first use.
    public var apps: [String]
    public var startNs: UInt64
    public var endNs: UInt64
    /// The last stored frame before the episode ended: the screen as it left it.
    public var finalFrame: String?
    /// How long, between its start and end, recording was paused or in a gap.
    public var interruptedNs: UInt64

    public var screen: ScreenGeometry { session.screen }
    public var startedAt: Date { session.startedAt.addingTimeInterval(Double(startNs) / 1e9) }
    /// The steps that act, without the terminal `done`/`fail` and without waits.
    public var actionCount: Int { steps.filter { !$0.action.isTerminal && !$0.isWait }.count }
    /// Steps whose typed text holds a redacted value (the action itself was changed).
    public var redactedSteps: Int { steps.filter(\.holdsRedactedText).count }
    public var interruptedShare: Double { endNs > startNs ? Double(interruptedNs) / Double(endNs - startNs) : 0 }
}

/// One step of an episode: its action, when its inputs happened, and its observation.
public struct EpisodeStep: Sendable {
    public var index: Int
    public var action: Action
    public var startNs: UInt64
    public var endNs: UInt64
    /// The pointer's path leading to the step: [x, y, ns since session start].
    public var path: [[Int64]]
    /// The frame it was decided on, or why there is none.
    public var observation: Result<Observations.Observation, Observations.Missing>
    /// The boxes redaction filled in the observation frame.
    public var redactions: [FrameRedaction]
    /// The focused window when the step began.
    public var window: WindowContext?
    /// The element the step's first input was aimed at, when the accessibility bus named one.
    public var target: AccessibleElement? = nil
    /// What the accessibility bus showed of the focused window when the observation frame
    /// was stored, when a snapshot was taken with it.
    public var accessibility: AccessibilitySnapshot? = nil

    public var isWait: Bool { if case .wait = action { true } else { false } }
    /// Typed text with a redacted value in it.
    public var holdsRedactedText: Bool {
        guard case .type(let text) = action else { return false }
        return RedactionKind.allCases.contains { text.contains("[\($0.rawValue.uppercased())]") }
    }
}

/// Builds a session's episodes from its events: the action compiler's steps, split at task
/// markers where the contributor gave them and by ``Episodes`` segmentation elsewhere, each
/// step given its observation (``Observations``).
public struct EpisodeBuilder: Sendable {
    public struct Settings: Sendable, Equatable {
        public var compiler = ActionCompiler.Settings()
        public var segmentation = Episodes.Settings()
        /// A step whose newest earlier frame is older than this has no observation, even when
        /// capture ran throughout (see ``Observations/align(_:frames:maxAge:interruptions:withheld:)``).
        public var maxObservationAge: Duration = .seconds(600)

        public init() {}

        /// No split at idle time or app switches (a task marker still splits): for pages that
        /// show a recording's steps, not tasks (the review page, the reviewer's console page).
        public static var stepsOnly: Settings {
            var settings = Settings()
            (settings.segmentation.idleGap, settings.segmentation.switchPause) = (.seconds(86_400), .seconds(86_400))
            return settings
        }
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// A marked task: from `task.start` to `task.end` (or the session's end).
    private struct MarkedTask {
        var startNs: UInt64
        var endNs: UInt64?
        var instruction: String
        var outcome: Episode.Outcome
    }

    /// A run of steps that becomes one episode, before observations are attached.
    private struct Draft {
        var steps: [ActionCompiler.Step]
        var task: MarkedTask?
        var apps: [String]
    }

    /// The session's episodes in time order. `frame` tells a frame's redactions or that it was withheld.
    public func episodes(
        of session: Session, events unordered: [Event],
        frame: (String) throws -> FrameRecord?
    ) throws -> [Episode] {
        // Task markers arrive from the control socket and can be stored after capture events that happened later.
        let events = unordered.enumerated().sorted { ($0.element.tNs, $0.offset) < ($1.element.tNs, $1.offset) }.map(\.element)
        let tasks = Self.tasks(in: events)
        let steps = ActionCompiler(settings: settings.compiler).compile(events).filter { !$0.action.isTerminal }
        let drafts = self.drafts(steps, tasks: tasks, events: events).sorted { $0.steps[0].startNs < $1.steps[0].startNs }
        let frames = Observations.frames(in: events)
        let snapshots = Self.snapshots(in: events)
        let focus = FocusTimeline(events)
        let breaks = Self.interruptions(in: events)
        let sessionEnd = max(events.last?.tNs ?? 0, frames.last.map { $0.tNs + 1 } ?? 0)
        let prefix = String(session.id.filter(\.isHexDigit).prefix(8))

        var records: [String: FrameRecord?] = [:]
        func record(_ hash: String) throws -> FrameRecord? {
            if let known = records[hash] { return known }
            let found = try frame(hash)
            records[hash] = found
            return found
        }

        var episodes: [Episode] = []
        for (n, draft) in drafts.enumerated() {
            let lastEnd = draft.steps.last!.endNs
            let limit = n + 1 < drafts.count ? drafts[n + 1].steps[0].startNs : sessionEnd + 1
            // The screen as the episode left it: before `task end`, or before the next episode's first input.
            let finalFrame = Observations.last(before: draft.task?.endNs ?? limit, in: frames)
            let endNs = draft.task?.endNs ?? max(lastEnd, finalFrame.map { $0.tNs + 1 } ?? lastEnd)
            let terminal: Action = draft.task?.outcome == .failed ? .fail : .done
            let all = draft.steps + [ActionCompiler.Step(action: terminal, startNs: endNs, endNs: endNs, path: [])]
            let observations = Observations.align(all, frames: frames, maxAge: settings.maxObservationAge, interruptions: breaks) {
                (try? record($0))?.withheld
            }
            var steps: [EpisodeStep] = []
            for (index, (step, observation)) in zip(all, observations).enumerated() {
                var redactions: [FrameRedaction] = []
                var snapshot: AccessibilitySnapshot?
                if case .success(let seen) = observation {
                    redactions = try record(seen.frame)?.redactions ?? []
                    snapshot = snapshots[seen.frame]
                }
                steps.append(
                    EpisodeStep(
                        index: index, action: step.action, startNs: step.startNs, endNs: step.endNs, path: step.path,
                        observation: observation, redactions: redactions, window: focus.window(at: step.startNs),
                        target: step.target, accessibility: snapshot))
            }
            let startNs = draft.task?.startNs ?? draft.steps[0].startNs
            episodes.append(
                Episode(
                    id: "\(prefix)-\(String(format: "%03d", n + 1))", session: session, instruction: draft.task?.instruction,
                    outcome: draft.task?.outcome ?? .unmarked, steps: steps, apps: draft.apps, startNs: startNs, endNs: endNs,
                    finalFrame: finalFrame?.hash, interruptedNs: Self.overlap(breaks, startNs, endNs)))
        }
        return episodes
    }

    /// Steps inside a marked task form its episode; runs of steps between tasks are segmented automatically.
    private func drafts(_ steps: [ActionCompiler.Step], tasks: [MarkedTask], events: [Event]) -> [Draft] {
        let focus = FocusTimeline(events)
        var inTask = [[ActionCompiler.Step]](repeating: [], count: tasks.count)
        // Between tasks: run k holds the steps after k tasks have started.
        var between = [[ActionCompiler.Step]](repeating: [], count: tasks.count + 1)
        for step in steps {
            if let k = tasks.firstIndex(where: { $0.startNs <= step.startNs && step.startNs < ($0.endNs ?? .max) }) {
                inTask[k].append(step)
            } else {
                between[tasks.filter { $0.startNs <= step.startNs }.count].append(step)
            }
        }
        var drafts: [Draft] = []
        for (task, steps) in zip(tasks, inTask) {
            let trimmed = Episodes.trimmingWaits(steps)
            guard !trimmed.isEmpty else { continue }
            drafts.append(Draft(steps: trimmed, task: task, apps: focus.apps(at: trimmed.map(\.startNs))))
        }
        for run in between where !run.isEmpty {
            for found in Episodes.split(run, events: events, settings: settings.segmentation) {
                drafts.append(Draft(steps: found.steps.filter { !$0.action.isTerminal }, task: nil, apps: found.apps))
            }
        }
        return drafts
    }

    /// Each frame's accessibility snapshot, by the frame's hash (the newest, when a screen recurs).
    private static func snapshots(in events: [Event]) -> [String: AccessibilitySnapshot] {
        var found: [String: AccessibilitySnapshot] = [:]
        for event in events {
            if case .accessibilitySnapshot(let frame, _, let snapshot) = event.body { found[frame] = snapshot }
        }
        return found
    }

    private static func tasks(in events: [Event]) -> [MarkedTask] {
        var tasks: [MarkedTask] = []
        for event in events {
            switch event.body {
            case .taskStart(let instruction):
                if let open = tasks.indices.last, tasks[open].endNs == nil { tasks[open].endNs = event.tNs }
                tasks.append(MarkedTask(startNs: event.tNs, endNs: nil, instruction: instruction, outcome: .unfinished))
            case .taskEnd(let outcome):
                guard let open = tasks.indices.last, tasks[open].endNs == nil else { continue }
                tasks[open].endNs = event.tNs
                tasks[open].outcome = outcome == .failed ? .failed : .done
            default:
                continue
            }
        }
        return tasks
    }

    /// Periods when recording was paused (until resumed, or the session ended) or in a gap.
    private static func interruptions(in events: [Event]) -> [(from: UInt64, to: UInt64)] {
        var periods: [(from: UInt64, to: UInt64)] = []
        var pausedAt: UInt64?
        for event in events {
            switch event.body {
            case .pause: pausedAt = pausedAt ?? event.tNs
            case .resume:
                if let from = pausedAt { periods.append((from, event.tNs)) }
                pausedAt = nil
            case .gap(_, let from, let to): periods.append((from, to))
            default: continue
            }
        }
        if let from = pausedAt { periods.append((from, .max)) }
        return periods
    }

    private static func overlap(_ periods: [(from: UInt64, to: UInt64)], _ start: UInt64, _ end: UInt64) -> UInt64 {
        // Periods can overlap (a gap while paused): measure their union within [start, end).
        var covered: UInt64 = 0
        var reach = start
        for p in periods.sorted(by: { $0.from < $1.from }) {
            let from = max(p.from, reach)
            let to = min(p.to, end)
            if to > from {
                covered += to - from
                reach = to
            }
        }
        return covered
    }
}
