import Foundation
import UnderstudyModel

/// One step as pages show it: its observation with the action drawn on it in SVG (click
/// markers with counts, drag arrows, scroll direction, typed text and keys in a banner), the
/// element aimed at and the boxes redaction filled outlined, and a caption. The episode viewer
/// (``HTMLWriter``) and the contributor's review page both draw steps with it.
public enum StepFigure {
    /// One step: its observation with the action drawn over it, and a caption.
    /// - Parameter frameURL: where the page finds a frame's PNG, by its hash.
    public static func html(_ step: EpisodeStep, in e: Episode, frameURL: (String) -> String = { "frames/\($0).png" }) -> String {
        let picture = step.observationFrame.map {
            "<img src=\"\(HTML.escape(frameURL($0)))\" alt=\"the screen before step \(step.index)\" loading=\"lazy\">"
        }
        return html(step, in: e, picture: picture)
    }

    /// The same figure with the screen given as markup (an `<img>`, or an SVG drawn from tiles);
    /// nil when the step has no screen to show.
    public static func html(_ step: EpisodeStep, in e: Episode, picture: String?) -> String {
        let caption =
            "<figcaption><b>Step \(step.index) · \(step.action.verb)</b> <code>\(HTML.escape(step.action.pyautogui))</code>"
            + (step.window.map { " · \(HTML.escape($0.app)) — \(HTML.escape($0.title))" } ?? "")
            + (step.target.map { " · on \(HTML.escape($0.summary))" } ?? "") + " · " + HTML.escape(observationNote(step)) + "</figcaption>"
        guard let picture else {
            return
                "<figure class=\"step\" id=\"step-\(step.index)\"><div class=\"missing\">\(banner(step.action).map(HTML.escape) ?? "")</div>\(caption)</figure>"
        }
        let banner = banner(step.action).map { "<div class=\"banner\">\(HTML.escape($0))</div>" } ?? ""
        return """
            <figure class="step" id="step-\(step.index)"><div class="frame">\(picture)\
            <svg class="overlay" viewBox="0 0 \(e.screen.width) \(e.screen.height)" preserveAspectRatio="none">\(overlay(step))</svg>\(banner)</div>\(caption)</figure>
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

    /// The style the figures need, for a page's style sheet.
    public static let style = """
        figure.step { margin: 2em 0; } figcaption { margin-top: .4em; }
        code { background: #f2f2f2; padding: 0 .3em; word-break: break-all; }
        .frame { position: relative; border: 1px solid #ccc; } .frame img { width: 100%; display: block; }
        .frame svg.overlay { position: absolute; inset: 0; width: 100%; height: 100%; } .frame svg.picture { width: 100%; display: block; }
        .banner { position: absolute; left: 1em; bottom: 1em; background: rgba(224,36,94,.9); color: #fff; padding: .3em .7em; border-radius: 4px; white-space: pre-wrap; }
        .missing { padding: 3em; background: #eee; color: #555; text-align: center; }
        circle.click { fill: none; stroke: #e0245e; stroke-width: 5; } line.drag { stroke: #e0245e; stroke-width: 6; }
        polyline.path { fill: none; stroke: rgba(29,161,242,.7); stroke-width: 3; }
        rect.target { fill: transparent; stroke: #17bf63; stroke-width: 3; pointer-events: all; }
        rect.redaction { fill: none; stroke: #f5a623; stroke-width: 4; stroke-dasharray: 12 6; }
        svg text { fill: #e0245e; font: bold 32px system-ui, sans-serif; paint-order: stroke; stroke: #fff; stroke-width: 6; }
        """
}
