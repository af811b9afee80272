import Foundation
import UnderstudyModel

/// The episode viewer: `index.html` lists the episodes, `{episode}/index.html` shows each step's
/// observation with its action drawn on it (click markers with counts, drag arrows, scroll
/// direction, typed text, keys) and the boxes redaction filled outlined. Static files only:
/// open them from disk, nothing is fetched.
struct HTMLWriter: EpisodeWriter {
    private var episodes: [Episode] = []

    mutating func write(_ episode: Episode, frames: FramePNGs, into folder: OutputFolder, stepWritten: () -> Void) throws {
        try folder.makeFolder("\(episode.id)/frames")
        var stored: Set<String> = []
        var figures: [String] = []
        for step in episode.steps {
            if let hash = step.observationFrame, stored.insert(hash).inserted {
                try folder.write(try frames.png(hash, of: episode.session), to: "\(episode.id)/frames/\(hash).png")
            }
            figures.append(StepFigure.html(step, in: episode))
            stepWritten()
        }
        try folder.write(Data(Self.page(episode, figures: figures).utf8), to: "\(episode.id)/index.html")
        episodes.append(episode)
    }

    mutating func finish(into folder: OutputFolder) throws -> [String] {
        let rows = episodes.map { e in
            "<tr><td><a href=\"\(HTML.escape(e.id))/index.html\">\(HTML.escape(e.id))</a></td><td>\(HTML.escape(e.instruction ?? "—"))</td><td>\(e.outcome.rawValue)</td>"
                + "<td>\(e.steps.count)</td><td>\(HTML.escape(e.apps.joined(separator: ", ")))</td><td>\(RFC3339.string(from: e.startedAt))</td></tr>"
        }
        let body =
            "<h1>Episodes</h1>\n<table><tr><th>Episode</th><th>Instruction</th><th>Outcome</th><th>Steps</th><th>Apps</th><th>Started</th></tr>\n"
            + rows.joined(separator: "\n") + "\n</table>"
        try folder.write(Data(Self.document(title: "Understudy episodes", body: body).utf8), to: "index.html")
        return ["index.html"] + episodes.map(\.id)
    }

    private static func page(_ e: Episode, figures: [String]) -> String {
        let header = """
            <p><a href="../index.html">All episodes</a></p>
            <h1>\(HTML.escape(e.instruction ?? "Episode \(e.id)"))</h1>
            <p class="meta">\(e.id) · \(e.outcome.rawValue) · \(e.steps.count) steps · \(HTML.escape(e.apps.joined(separator: ", "))) · \
            \(e.screen.width)×\(e.screen.height) · started \(RFC3339.string(from: e.startedAt)) · session \(HTML.escape(e.session.id))</p>
            """
        return document(title: "Episode \(e.id)", body: header + "\n" + figures.joined(separator: "\n"))
    }

    private static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
        <style>
        body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1280px; padding: 0 1em; color: #222; }
        table { border-collapse: collapse; } td, th { padding: .3em .8em; border-bottom: 1px solid #ddd; text-align: left; }
        .meta { color: #555; }
        \(StepFigure.style)
        </style></head>
        <body>
        \(body)
        </body></html>

        """
    }
}
