import CollectorAPI
import Foundation
import Testing
import UnderstudyModel

@testable import Device

/// The review page as its templates render it from its views, without a server: every
/// template fills, what the contributor typed or the collector said is shown as text and never
/// becomes markup, and every form that acts carries the page's CSRF token. (The flows through a
/// real browser are in CommandLineTests/ReviewPageTests.)
@Suite("The review page's templates, from their views")
struct ReviewPageViewTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)
    static let markup = "<script>alert(1)</script>&\"'"
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"

    /// The main page in each state it has, a hostile value wherever one can go.
    func pages() -> [String: String] {
        let x = Self.markup
        let time = PageTime(Self.at, format: "HH:mm")
        let empty = TimelineView(Timeline(day: Self.at, page: 1, total: 0, segments: []), reviewWindow: nil)
        let held = HeldByCollector.held(
            server: x, segments: [SegmentListing(id: x, sha256: "a", bytes: 1, policyHash: "h", receivedAt: Self.at, device: "d")],
            audit: [AuditRecordListing(seq: 1, at: Self.at, atMs: 0, actor: x, action: x, subject: nil, detail: "{}", previousHash: "", hash: "h")])
        let recording = RecordingView(
            since: time, pausedUntil: nil, pauses: [5, 15, 30], notStoring: x, policy: x,
            accessibility: AccessibilityView(line: x, unreadable: true, fix: [x]))
        var paused = recording
        paused.pausedUntil = time
        let full = ReviewView(
            title: "Understudy: your recording", csrf: "CSRF-TOKEN", notice: x, recording: recording,
            kept: KeptView(sessions: "1 session", segments: "1 segment", events: "2 events", frames: "1 frame", bytes: "1 KB"), timeline: empty,
            consent: ConsentView(name: x, version: 2, accepted: time, explanation: x), exemptions: [ExemptionItem(id: x, summary: x)],
            requests: [ExemptionAsked(what: x, state: "not sent yet")], notEnrolled: false, unreachable: nil, holding: HoldingView(held))
        var pausedPage = full
        pausedPage.recording = paused
        var stopped = full
        (stopped.recording, stopped.kept, stopped.consent, stopped.holding, stopped.unreachable) = (nil, nil, nil, nil, x)
        var alone = stopped
        (alone.unreachable, alone.notEnrolled, alone.exemptions, alone.requests) = (nil, true, [], [])
        let segment = SegmentView(
            title: "Understudy: a segment", csrf: "CSRF-TOKEN", notice: x, from: time, to: time, stepCount: "2 steps",
            steps: [
                StepView(figure: "<figure id=\"step-0\"></figure>", previous: nil, next: 1),
                StepView(figure: "<figure id=\"step-1\"></figure>", previous: 0, next: nil),
            ],
            hasSteps: true, deletion: StepDeletionForm(segment: x, first: 0, last: 1))
        let render = { (view: ReviewView) in ReviewPageHTML.templates.render(view, "review") }
        return [
            "recording": render(full), "paused": render(pausedPage), "stopped, collector unreachable": render(stopped),
            "not enrolled": render(alone), "segment": ReviewPageHTML.templates.render(segment, "segment"),
        ]
    }

    @Test("Every state of the page renders whole from its templates and says what it is: recording, paused, stopped; enrolled or not")
    func everyStateRenders() {
        let pages = pages()
        for (name, page) in pages {
            #expect(page.hasPrefix("<!doctype html>") && page.hasSuffix("</main></body></html>\n"), "\(name)")
            #expect(!page.contains("{{") && !page.contains("}}"), "\(name) has a tag left")
        }
        #expect(pages["recording"]?.contains("id=\"pause-15\"") == true && pages["recording"]?.contains("id=\"resume\"") == false)
        #expect(pages["paused"]?.contains("id=\"resume\"") == true && pages["paused"]?.contains("id=\"pause-15\"") == false)
        #expect(pages["stopped, collector unreachable"]?.contains("class=\"state stopped\">Not recording.") == true)
        #expect(pages["stopped, collector unreachable"]?.contains("could not be reached") == true)
        #expect(pages["not enrolled"]?.contains("is not enrolled") == true && pages["not enrolled"]?.contains("id=\"no-exemptions\"") == true)
        #expect(pages["recording"]?.contains("id=\"timeline-empty\"") == true)
        let segment = pages["segment"] ?? ""
        #expect(segment.contains("<figure id=\"step-0\"></figure>") && segment.contains("<a href=\"#step-1\">Next step</a>"))
        #expect(segment.contains("<a href=\"#step-0\">Previous step</a>") && segment.contains("id=\"delete-steps-button\""))
    }

    @Test("What anyone typed appears as text, escaped exactly once, never as markup")
    func valuesAreEscaped() {
        for (name, page) in pages() where name != "not enrolled" {
            #expect(!page.contains("<script>"), "\(name) shows markup")
            #expect(page.contains(Self.escaped), "\(name) does not show the value as text")
            #expect(!page.contains("&amp;lt;"), "\(name) escapes twice")
        }
    }

    @Test("Every form that acts carries the page's CSRF token")
    func formsCarryTheToken() {
        for (name, page) in pages() {
            let forms = page.components(separatedBy: "<form method=\"post\"").count - 1
            let tokens = page.components(separatedBy: "<input type=\"hidden\" name=\"csrf\" value=\"CSRF-TOKEN\">").count - 1
            #expect(forms > 0 && forms == tokens, "\(name): \(forms) forms, \(tokens) tokens")
        }
    }
}
