import Foundation
import UnderstudyModel

/// `{episode}.py`: a runnable script doing the episode's steps with pyautogui, with the
/// recorded pauses between them.
struct PyautoguiWriter: EpisodeWriter {
    private var written: [String] = []
    /// Pauses shorter than this are not written; longer ones are `wait` steps already.
    static let shortestPause = 0.05

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        let name = "\(episode.id).py"
        try folder.write(Data(Self.script(episode).utf8), to: name)
        chmod(try folder.url(name).path, 0o700)
        for _ in episode.steps { stepWritten() }
        written.append(name)
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] { written }

    static func script(_ episode: Episode) -> String {
        let w = episode.screen.width
        let h = episode.screen.height
        var lines = [
            "#!/usr/bin/env python3",
            "# Episode \(episode.id): \(oneLine(episode.instruction ?? "(no instruction: found by automatic segmentation)"))",
            "# Recorded \(RFC3339.string(from: episode.startedAt)) on a \(w)x\(h) screen, in \(oneLine(episode.apps.joined(separator: ", "))).",
            "# Written by `understudy export --format pyautogui`. Start it with the same windows open, in the",
            "# same places; move the pointer to a screen corner to stop it (pyautogui's fail-safe).",
            "import time",
            "",
            "import pyautogui",
            "",
            "pyautogui.PAUSE = 0",
            "if tuple(pyautogui.size()) != (\(w), \(h)):",
            "    print(f\"warning: recorded on a \(w)x\(h) screen, this one is {pyautogui.size()[0]}x{pyautogui.size()[1]}\")",
            "",
        ]
        for (n, step) in episode.steps.enumerated() {
            let place = step.window.map { " in \(oneLine($0.app)) (\(oneLine($0.title)))" } ?? ""
            lines.append("# step \(step.index): \(step.action.verb)\(place)")
            if let target = step.target { lines.append("# target: \(oneLine(target.summary))") }
            if step.holdsRedactedText { lines.append("# (a redacted value is typed as its placeholder)") }
            lines += step.action.pyautoguiStatements
            if n + 1 < episode.steps.count {
                let pause = Double(episode.steps[n + 1].startNs &- step.endNs) / 1e9
                if pause >= shortestPause, !episode.steps[n + 1].isWait, !step.isWait {
                    lines.append("time.sleep(\(String(format: "%.2f", min(pause, 3))))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` made safe for a comment line: every control character (line breaks of any kind
    /// among them) and Unicode line or paragraph separator becomes a space. A device decides
    /// these strings (window names, titles), and a line break would turn the rest into code.
    static func oneLine(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.breaksLineOrControls ? " " : scalar
                }))
    }
}
