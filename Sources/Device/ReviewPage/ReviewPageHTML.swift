import CollectorAPI
import Datasets
import Foundation
import Privacy
import UnderstudyModel
import Vault

/// The review page's HTML and style sheet, rendered on the server from the templates in
/// `Templates/`: no script, every value escaped by the template, readable at a phone's width,
/// usable with the keyboard alone. Each function here turns what the vault, the recorder and
/// the collector said into the view its template names (``ReviewPageViews``); the words and the
/// markup are in the templates.
enum ReviewPageHTML {
    static let templates = PageTemplates([
        "page": PackageResources.page_mustache, "review": PackageResources.review_mustache, "state": PackageResources.state_mustache,
        "kept": PackageResources.kept_mustache, "timeline": PackageResources.timeline_mustache, "forget": PackageResources.forget_mustache,
        "consent": PackageResources.consent_mustache, "exemptions": PackageResources.exemptions_mustache,
        "held": PackageResources.held_mustache, "segment": PackageResources.segment_mustache,
    ])

    static func page(
        _ report: StatusReport, timeline: Timeline, choices: Choices, held: HeldByCollector, csrf: String, notice: String?
    ) -> String {
        // Segments wait the review window before upload, when there is somewhere to upload them.
        let enrolled = if case .notEnrolled = held { false } else { true }
        let view = ReviewView(
            title: "Understudy: your recording", csrf: csrf, notice: notice.flatMap { $0.isEmpty ? nil : $0 }, recording: recording(report),
            kept: kept(report), timeline: TimelineView(timeline, reviewWindow: enrolled ? choices.reviewWindow : nil),
            consent: choices.consent.map {
                ConsentView(name: $0.name, version: $0.version, accepted: time($0.acceptedAt, dated: true), explanation: choices.explanation)
            },
            exemptions: choices.exemptions.map { ExemptionItem(id: $0.id, summary: $0.summary) },
            requests: choices.requests.map { r in
                ExemptionAsked(
                    what: Exemption(kind: r.kind, value: r.value, from: r.from, until: r.until).summary,
                    state: r.sentAt == nil ? "not sent yet" : "sent, awaiting a decision")
            },
            notEnrolled: !enrolled, unreachable: { if case .unreachable(let why) = held { why } else { nil } }(), holding: HoldingView(held))
        return templates.render(view, "review")
    }

    /// Recording, paused, and why not storing; what the policy is; whether pages can be read.
    private static func recording(_ report: StatusReport) -> RecordingView? {
        guard report.state == "recording", let since = report.since else { return nil }
        let accessibility = report.counters.map { c in
            AccessibilityView(
                line: StatusReport.accessibilityLine(c), unreadable: StatusReport.pagesUnreadable(c), fix: StatusReport.accessibilityFix)
        }
        return RecordingView(
            since: time(since), pausedUntil: report.pausedUntil.map { time($0) }, pauses: [5, 15, 30], notStoring: report.notStoring,
            policy: report.policy, accessibility: accessibility)
    }

    private static func kept(_ report: StatusReport) -> KeptView? {
        guard report.exists else { return nil }
        return KeptView(
            sessions: count(report.sessions ?? 0, "session"), segments: count(report.segments ?? 0, "segment"),
            events: count((report.events ?? [:]).values.reduce(0, +), "event"), frames: count(report.frames ?? 0, "frame"),
            bytes: size(Int64(report.bytesOnDisk ?? 0)))
    }

    /// A segment's steps, each on the screen it was decided on, with links from step to step.
    static func segment(_ s: SegmentSteps, csrf: String, notice: String? = nil) -> String {
        let steps =
            s.episode.map { episode in
                s.steps.enumerated().map { (n, step) in
                    StepView(
                        figure: StepFigure.html(step, in: episode) { "/frame/\(episode.session.id)/\($0).png" },
                        previous: n > 0 ? s.steps[n - 1].index : nil, next: n + 1 < s.steps.count ? s.steps[n + 1].index : nil)
                }
            } ?? []
        let deletion =
            s.segment.sealed ? StepDeletionForm(segment: s.segment.id, first: s.steps.first?.index ?? 0, last: s.steps.last?.index ?? 0) : nil
        let view = SegmentView(
            title: "Understudy: a segment", csrf: csrf, notice: notice, from: time(s.segment.from), to: time(s.segment.to),
            stepCount: count(s.steps.count, "step"), steps: steps, hasSteps: !steps.isEmpty, deletion: deletion)
        return templates.render(view, "segment")
    }

    static func size(_ bytes: Int64) -> String { ByteCountFormatter.string(fromByteCount: bytes, countStyle: .file) }

    static func plainTime(_ date: Date) -> String { PageTime(date, format: "HH:mm:ss").text }

    static func time(_ date: Date, dated: Bool = false) -> PageTime { PageTime(date, format: dated ? "d MMMM yyyy, HH:mm" : "HH:mm") }

    static let style =
        HTML.pageStyle + "\n" + """
            .state { font-weight: 600; } .recording { color: #a30000; } .paused, .stopped { color: #1b4d8f; }
            #segments { padding-left: 1.5rem; } .segment { margin: .3rem 0; } .segment form { display: inline; margin-left: .5rem; }
            .segment button { padding: .1rem .6rem; margin: 0; }
            main:has(figure) { max-width: 80rem; }
            """ + "\n" + StepFigure.style
}

/// The segments of one day (local time), newest first, a page of them.
struct Timeline: Sendable {
    static let perPage = 50

    var day: Date
    var page: Int
    var total: Int
    var segments: [SegmentInfo]
    /// The apps and sites of the page's segments, by id.
    var places: [String: SegmentPlaces] = [:]

    var pages: Int { max(1, (total + Self.perPage - 1) / Self.perPage) }

    /// The day `parameter` names (`2026-12-07`), today when it names none.
    static func day(_ parameter: String?, now: Date = WallClock.system.now()) -> Date {
        let calendar = Calendar.current
        guard let parameter, let date = dayFormat.date(from: parameter) else { return calendar.startOfDay(for: now) }
        return calendar.startOfDay(for: date)
    }

    /// The day's segments from the vault, page `page` of them (from 1).
    static func read(_ vault: Vault, day: Date, page: Int) throws -> Timeline {
        let end = day.addingTimeInterval(86_400)
        let all = try vault.segments().filter { $0.to >= day && $0.from < end }.sorted { $0.from > $1.from }
        let pages = max(1, (all.count + perPage - 1) / perPage)
        let page = min(max(1, page), pages)
        let shown = Array(all.dropFirst((page - 1) * perPage).prefix(perPage))
        return Timeline(day: day, page: page, total: all.count, segments: shown, places: try vault.places(of: shown))
    }

    static func dayParameter(_ day: Date) -> String { dayFormat.string(from: day) }

    static func dayText(_ day: Date) -> String {
        let format = DateFormatter()
        format.dateFormat = "EEEE d MMMM yyyy"
        return format.string(from: day)
    }

    private static var dayFormat: DateFormatter {
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd"
        return format
    }
}

/// What the contributor has chosen: the consent in force (and its policy in plain words), and
/// their exemptions and requests.
struct Choices: Sendable {
    var consent: ConsentRecord?
    var explanation: String?
    /// How long segments wait for review before upload, by the policy consented to.
    var reviewWindow: TimeInterval?
    var exemptions: [Exemption]
    var requests: [ExemptionRequest]

    static func read() throws -> Choices {
        let consent = try ConsentStore().current()
        let document = consent.flatMap { try? PolicyDocument(text: $0.document, source: "the policy you consented to") }
        let explanation = document.map { PolicyExplanation.text($0) }
        let stored = try ExemptionStore().load()
        return Choices(
            consent: consent, explanation: explanation, reviewWindow: document?.policy.reviewWindowSeconds, exemptions: stored.exemptions,
            requests: stored.requests)
    }
}
