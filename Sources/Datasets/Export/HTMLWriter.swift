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
            figures.append(Self.figure(step, in: episode))
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

    /// One step: its observation with the action drawn over it, and a caption.
    static func figure(_ step: EpisodeStep, in e: Episode) -> String {
        let caption =
            "<figcaption><b>Step \(step.index) · \(step.action.verb)</b> <code>\(HTML.escape(step.action.pyautogui))</code>"
            + (step.window.map { " · \(HTML.escape($0.app)) — \(HTML.escape($0.title))" } ?? "")
            + (step.target.map { " · on \(HTML.escape($0.summary))" } ?? "") + " · " + HTML.escape(observationNote(step)) + "</figcaption>"
        guard let hash = step.observationFrame else {
            return
                "<figure class=\"step\" id=\"step-\(step.index)\"><div class=\"missing\">\(banner(step.action).map(HTML.escape) ?? "")</div>\(caption)</figure>"
        }
        let banner = banner(step.action).map { "<div class=\"banner\">\(HTML.escape($0))</div>" } ?? ""
        return """
            <figure class="step" id="step-\(step.index)"><div class="frame"><img src="frames/\(HTML.escape(hash)).png" alt="the screen before step \(step.index)" loading="lazy">\
            <svg viewBox="0 0 \(e.screen.width) \(e.screen.height)" preserveAspectRatio="none">\(overlay(step))</svg>\(banner)</div>\(caption)</figure>
            """
    }

    private static func observationNote(_ step: EpisodeStep) -> String {
        switch step.observation {
        case .success(let seen): "screen as it was \(seen.ageNs / 1_000_000) ms before"
        case .failure(let missing): "no observation: \(missing)"
        }
    }

    /// The text shown over the frame for actions without a place: typed text, keys, waits.
    static func banner(_ action: Action) -> String? {
        switch action {
        case .type(let text): "type “\(text)”"
        case .hotkey(let keys): "hotkey " + keys.joined(separator: "+")
        case .key(let key): "key \(key)"
        case .wait(let seconds): "wait \(String(format: "%.1f", seconds)) s"
        case .done: "done"
        case .fail: "fail"
        case .click, .drag, .scroll, .move: nil
        }
    }

    /// SVG in screen pixels: the pointer's path, the action's marks, the redaction boxes.
    static func overlay(_ step: EpisodeStep) -> String {
        var svg = ""
        for box in step.redactions where box.box.count == 4 {
            svg +=
                "<rect class=\"redaction\" x=\"\(box.box[0])\" y=\"\(box.box[1])\" width=\"\(box.box[2])\" height=\"\(box.box[3])\"><title>\(box.what.rawValue)</title></rect>"
        }
        // The element aimed at, outlined; hovering it names it.
        if let target = step.target, target.bounds.count == 4 {
            let b = target.bounds
            svg +=
                "<rect class=\"target\" x=\"\(b[0])\" y=\"\(b[1])\" width=\"\(b[2])\" height=\"\(b[3])\"><title>\(HTML.escape(target.summary))</title></rect>"
        }
        if step.path.count > 1 {
            svg += "<polyline class=\"path\" points=\"\(step.path.map { "\($0[0]),\($0[1])" }.joined(separator: " "))\"/>"
        }
        switch step.action {
        case .click(let x, let y, let button, let clicks):
            let label = (button == .left ? "" : "\(button.rawValue) ") + (clicks > 1 ? "×\(clicks)" : "")
            svg += "<circle class=\"click\" cx=\"\(x)\" cy=\"\(y)\" r=\"18\"/>"
            for ring in 1..<max(1, clicks) { svg += "<circle class=\"click\" cx=\"\(x)\" cy=\"\(y)\" r=\"\(18 + 9 * ring)\"/>" }
            if !label.isEmpty { svg += "<text x=\"\(x + 30)\" y=\"\(y - 24)\">\(HTML.escape(label))</text>" }
        case .drag(let from, let to, _):
            svg += "<circle class=\"click\" cx=\"\(from[0])\" cy=\"\(from[1])\" r=\"12\"/>"
            svg += "<line class=\"drag\" x1=\"\(from[0])\" y1=\"\(from[1])\" x2=\"\(to[0])\" y2=\"\(to[1])\" marker-end=\"url(#arrow)\"/>"
        case .scroll(let x, let y, let dx, let dy):
            let (ex, ey) = (x + dx.signum() * 70, y + dy.signum() * 70)
            svg += "<line class=\"drag\" x1=\"\(x)\" y1=\"\(y)\" x2=\"\(ex)\" y2=\"\(ey)\" marker-end=\"url(#arrow)\"/>"
            svg +=
                "<text x=\"\(x + 24)\" y=\"\(y)\">scroll \(abs(dy) > 0 ? "\(abs(dy)) \(dy > 0 ? "down" : "up")" : "\(abs(dx)) \(dx > 0 ? "right" : "left")")</text>"
        case .move(let x, let y):
            svg += "<circle class=\"click\" cx=\"\(x)\" cy=\"\(y)\" r=\"8\"/>"
        case .type, .hotkey, .key, .wait, .done, .fail:
            break
        }
        return "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"8\" refY=\"5\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto\">"
            + "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#e0245e\"/></marker></defs>" + svg
    }

    private static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
        <style>
        body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1280px; padding: 0 1em; color: #222; }
        table { border-collapse: collapse; } td, th { padding: .3em .8em; border-bottom: 1px solid #ddd; text-align: left; }
        .meta { color: #555; } figure.step { margin: 2em 0; } figcaption { margin-top: .4em; }
        code { background: #f2f2f2; padding: 0 .3em; word-break: break-all; }
        .frame { position: relative; border: 1px solid #ccc; } .frame img { width: 100%; display: block; }
        .frame svg { position: absolute; inset: 0; width: 100%; height: 100%; }
        .banner { position: absolute; left: 1em; bottom: 1em; background: rgba(224,36,94,.9); color: #fff; padding: .3em .7em; border-radius: 4px; white-space: pre-wrap; }
        .missing { padding: 3em; background: #eee; color: #555; text-align: center; }
        circle.click { fill: none; stroke: #e0245e; stroke-width: 5; } line.drag { stroke: #e0245e; stroke-width: 6; }
        polyline.path { fill: none; stroke: rgba(29,161,242,.7); stroke-width: 3; }
        rect.target { fill: transparent; stroke: #17bf63; stroke-width: 3; pointer-events: all; }
        rect.redaction { fill: none; stroke: #f5a623; stroke-width: 4; stroke-dasharray: 12 6; }
        svg text { fill: #e0245e; font: bold 32px system-ui, sans-serif; paint-order: stroke; stroke: #fff; stroke-width: 6; }
        </style></head>
        <body>
        \(body)
        </body></html>

        """
    }
}
