import Foundation
import UnderstudyModel

/// The review page's HTML and style sheet, rendered on the server: no script, every value
/// escaped, readable at a phone's width, usable with the keyboard alone.
enum ReviewPageHTML {
    static func page(_ report: StatusReport, csrf: String, notice: String?) -> String {
        var body: [String] = ["<h1>Understudy</h1>"]
        if let notice, !notice.isEmpty { body.append("<p class=\"notice\" role=\"status\">\(HTML.escape(notice))</p>") }
        body.append(contentsOf: state(report, csrf: csrf))
        body.append(contentsOf: vault(report))
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Understudy: your recording</title><link rel="stylesheet" href="/style.css"></head>
            <body><main>
            \(body.joined(separator: "\n"))
            </main></body></html>

            """
    }

    /// Recording, paused or stopped, and why; what the policy is; whether pages can be read.
    private static func state(_ report: StatusReport, csrf: String) -> [String] {
        var out = ["<section aria-labelledby=\"state\"><h2 id=\"state\">Recording</h2>"]
        guard report.state == "recording", let since = report.since else {
            out.append("<p id=\"recording-state\" class=\"state stopped\">Not recording.</p></section>")
            return out
        }
        let field = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
        if let until = report.pausedUntil {
            out.append("<p id=\"recording-state\" class=\"state paused\">Paused until \(time(until)): nothing is recorded.</p>")
            out.append("<form method=\"post\" action=\"/resume\">\(field)<button type=\"submit\" id=\"resume\">Resume now</button></form>")
        } else {
            out.append("<p id=\"recording-state\" class=\"state recording\">Recording since \(time(since)).</p>")
            let buttons = [5, 15, 30].map { "<button type=\"submit\" name=\"minutes\" value=\"\($0)\" id=\"pause-\($0)\">\($0) minutes</button>" }
            out.append(
                "<form method=\"post\" action=\"/pause\">\(field)<fieldset><legend>Pause for</legend>\(buttons.joined())</fieldset></form>")
        }
        if let notStoring = report.notStoring {
            out.append("<p class=\"warning\" role=\"alert\">Not storing: \(HTML.escape(notStoring)). What is captured meanwhile is dropped.</p>")
        }
        if let policy = report.policy { out.append("<p>Policy: \(HTML.escape(policy)).</p>") }
        if let counters = report.counters {
            let unreadable = StatusReport.pagesUnreadable(counters)
            out.append(
                "<p id=\"accessibility\" class=\"\(unreadable ? "warning" : "ok")\">\(HTML.escape(StatusReport.accessibilityLine(counters)))</p>")
            if unreadable {
                let steps = StatusReport.accessibilityFix.map { "<li>\(HTML.escape($0))</li>" }.joined()
                out.append("<p>To have pages read, and recorded by their site's rules:</p><ol id=\"accessibility-fix\">\(steps)</ol>")
            }
        }
        out.append("</section>")
        return out
    }

    private static func vault(_ report: StatusReport) -> [String] {
        guard report.exists else { return ["<section aria-labelledby=\"vault\"><h2 id=\"vault\">Kept</h2><p>Nothing yet.</p></section>"] }
        let events = (report.events ?? [:]).values.reduce(0, +)
        let bytes = ByteCountFormatter.string(fromByteCount: Int64(report.bytesOnDisk ?? 0), countStyle: .file)
        return [
            "<section aria-labelledby=\"vault\"><h2 id=\"vault\">Kept on this computer</h2>",
            "<p id=\"vault-summary\">\(count(report.sessions ?? 0, "session")), \(count(report.segments ?? 0, "segment")), "
                + "\(count(events, "event")), \(count(report.frames ?? 0, "frame")); \(HTML.escape(bytes)), encrypted.</p></section>",
        ]
    }

    private static func time(_ date: Date) -> String {
        let format = DateFormatter()
        format.dateFormat = "HH:mm"
        return "<time datetime=\"\(RFC3339.string(from: date))\">\(format.string(from: date))</time>"
    }

    static let style = """
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
        main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.5rem; }
        .state { font-weight: 600; } .recording { color: #a30000; } .paused, .stopped { color: #1b4d8f; }
        .warning { background: #fff3cd; border-left: 4px solid #b58100; padding: .5rem .75rem; }
        .notice { background: #e7f1ff; padding: .5rem .75rem; }
        fieldset { border: 0; padding: 0; } legend { font-weight: 600; margin-bottom: .25rem; }
        button { font: inherit; padding: .4rem .9rem; margin: 0 .5rem .5rem 0; border: 1px solid #555; border-radius: 4px; background: #fff; }
        button:focus-visible { outline: 3px solid #1b4d8f; outline-offset: 2px; }
        """
}
