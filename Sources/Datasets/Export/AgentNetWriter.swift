import Foundation
import UnderstudyModel

/// `agentnet.jsonl` and `images/{hash}.png`: one trajectory per line in the shape of
/// AgentNet, the dataset OpenCUA trains on — `task_id`, `instruction`, `task_completed`, and
/// `traj[]` with each step's `image` (its observation) and `value.code` (pyautogui, coordinates
/// as fractions of the screen; the last step `computer.terminate(...)`). The reasoning fields
/// AgentNet fills with a model (`thought`, `observation`, `reflection`) are left empty: this is
/// what a person did, not why. Steps without an observation are left out (counted).
struct AgentNetWriter: EpisodeWriter {
    private var lines = ""
    private var images: Set<String> = []
    private(set) var skippedSteps = 0

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        if images.isEmpty { try folder.makeFolder("images") }
        var traj: [JSONValue] = []
        for step in episode.steps {
            defer { stepWritten() }
            guard let hash = step.observationFrame else {
                skippedSteps += 1
                continue
            }
            if images.insert(hash).inserted { try folder.write(try frames.png(hash, of: episode.session), to: "images/\(hash).png") }
            let value: JSONValue = .object([
                ("observation", .string("")), ("thought", .string("")), ("action", .string(Self.describe(step))),
                ("code", .string(Self.code(step.action, screen: episode.screen))), ("last_step_correct", .bool(true)),
                ("last_step_redundant", .bool(false)), ("reflection", .string("")),
            ])
            traj.append(.object([("index", .int(Int64(traj.count))), ("image", .string("\(hash).png")), ("value", value)]))
        }
        let instruction = JSONValue.string(episode.instruction ?? "")
        let record: JSONValue = .object([
            ("task_id", .string(episode.id)), ("instruction", instruction), ("natural_language_task", instruction),
            ("actual_task", instruction), ("task_completed", .bool(episode.outcome == .done)), ("traj", .array(traj)),
        ])
        lines += record.serialized + "\n"
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] {
        try folder.write(Data(lines.utf8), to: "agentnet.jsonl")
        return images.isEmpty ? ["agentnet.jsonl"] : ["agentnet.jsonl", "images"]
    }

    /// OpenCUA's action space: pyautogui with relative coordinates, and `computer.terminate`.
    static func code(_ action: Action, screen: ScreenGeometry) -> String {
        switch action {
        case .done: "computer.terminate(status=\"success\")"
        case .fail: "computer.terminate(status=\"failure\")"
        default: action.pyautogui(normalizedTo: screen)
        }
    }

    /// The step in words, naming the element aimed at when it is known: `Click push button "Send"`.
    static func describe(_ step: EpisodeStep) -> String {
        let on = step.target.map { " \($0.summary)" }
        switch step.action {
        case .click(let x, let y, let button, let clicks):
            let verb = ["", "Click", "Double-click", "Triple-click"][min(3, max(1, clicks))]
            return (button == .left ? verb : "\(button.rawValue.capitalized) \(verb.lowercased())") + (on ?? " at (\(x), \(y))")
        case .drag(let from, let to, _): return "Drag from (\(from[0]), \(from[1])) to (\(to[0]), \(to[1]))" + (on.map { " starting on\($0)" } ?? "")
        case .scroll(_, _, let dx, let dy):
            let amount = dy != 0 ? "\(abs(dy)) \(dy > 0 ? "down" : "up")" : "\(abs(dx)) \(dx > 0 ? "right" : "left")"
            return "Scroll \(amount)" + (on.map { " over\($0)" } ?? "")
        case .type(let text): return "Type \"\(text)\"" + (on.map { " into\($0)" } ?? "")
        case .hotkey(let keys): return "Press " + keys.joined(separator: "+")
        case .key(let key): return "Press \(key)"
        case .move(let x, let y): return "Move the pointer to (\(x), \(y))"
        case .wait(let seconds): return "Wait \(String(format: "%.1f", seconds)) s"
        case .done: return "Finish the task"
        case .fail: return "Give up the task"
        }
    }
}
