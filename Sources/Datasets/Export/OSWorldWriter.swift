import Foundation
import UnderstudyModel

/// `{episode}/traj.jsonl` with the screenshots beside it, as OSWorld's runner writes a task's
/// result folder: a line per step with `step_num` (from 1), `action_timestamp`
/// (`YYYYMMDD@HHMMSS`, UTC), `action` (pyautogui in pixels, or `WAIT`, `DONE`, `FAIL`),
/// `response`, `reward`, `done`, `info` and `screenshot_file` — the screen after the action
/// (the next step's observation, the final frame for the last). `{episode}/task.json` holds the
/// instruction as OSWorld's task configs do. Steps with no screenshot after them are left out.
struct OSWorldWriter: EpisodeWriter {
    private var written: [String] = []
    private(set) var skippedSteps = 0

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        try folder.makeFolder(episode.id)
        var lines = ""
        var number = 0
        for (n, step) in episode.steps.enumerated() {
            defer { stepWritten() }
            let after = n + 1 < episode.steps.count ? episode.steps[n + 1].observationFrame : episode.finalFrame
            guard let after else {
                skippedSteps += 1
                continue
            }
            number += 1
            let stamp = Self.timestamp(episode.session.startedAt.addingTimeInterval(Double(step.endNs) / 1e9))
            let file = "step_\(number)_\(stamp).png"
            try folder.write(try frames.png(after, of: episode.session), to: "\(episode.id)/\(file)")
            let line: JSONValue = .object([
                ("step_num", .int(Int64(number))), ("action_timestamp", .string(stamp)), ("action", .string(Self.action(step.action))),
                ("response", .string("")), ("reward", .int(step.action.isTerminal && episode.outcome == .done ? 1 : 0)),
                ("done", .bool(step.action.isTerminal)), ("info", .object([])), ("screenshot_file", .string(file)),
            ])
            lines += line.serialized + "\n"
        }
        try folder.write(Data(lines.utf8), to: "\(episode.id)/traj.jsonl")
        let task: JSONValue = .object([
            ("id", .string(episode.id)), ("instruction", .string(episode.instruction ?? "")), ("source", .string("understudy")),
            ("related_apps", .array(episode.apps.map { .string($0) })),
        ])
        try folder.write(Data((task.serializedPretty + "\n").utf8), to: "\(episode.id)/task.json")
        written.append(episode.id)
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] { written }

    /// OSWorld's pyautogui action space, with its three special actions.
    static func action(_ action: Action) -> String {
        switch action {
        case .done: "DONE"
        case .fail: "FAIL"
        case .wait: "WAIT"
        default: action.pyautogui
        }
    }

    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d@%02d%02d%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
