import CollectorAPI
import Foundation
import UnderstudyModel
import Vault

// What the review page's templates name: a view a page, its sections and rows. Values are
// text as shown (the templates escape them); only a step's figure is markup, drawn and escaped
// by `StepFigure`. Stored properties only: a template reads a view through `Mirror`.

/// The review page: each section's view, nil where the section says there is nothing.
struct ReviewView: Sendable {
    var title: String
    var csrf: String
    var notice: String?
    /// Nil when not recording.
    var recording: RecordingView?
    /// Nil before anything was kept.
    var kept: KeptView?
    var timeline: TimelineView
    var consent: ConsentView?
    var exemptions: [ExemptionItem]
    var requests: [ExemptionAsked]
    var notEnrolled: Bool
    var unreachable: String?
    var holding: HoldingView?
}

struct RecordingView: Sendable {
    var since: PageTime
    var pausedUntil: PageTime?
    /// The pause buttons, in minutes.
    var pauses: [Int]
    var notStoring: String?
    var policy: String?
    var accessibility: AccessibilityView?
}

/// Whether the recorder reads pages through the accessibility bus, and how to make it.
struct AccessibilityView: Sendable {
    var line: String
    var unreadable: Bool
    var fix: [String]
}

/// What the vault holds, in words (`3 sessions`).
struct KeptView: Sendable {
    var sessions: String
    var segments: String
    var events: String
    var frames: String
    var bytes: String
}

/// One day's segments, a page of them at a time, each with a button that forgets it.
struct TimelineView: Sendable {
    var dayText: String
    var previousDay: String
    var nextDay: String
    var total: String
    var segments: [SegmentRow]
    var hasSegments: Bool
    var paged: Bool
    var pageLinks: [PageNumber]

    init(_ t: Timeline, reviewWindow: TimeInterval?) {
        dayText = Timeline.dayText(t.day)
        previousDay = Timeline.dayParameter(t.day.addingTimeInterval(-86_400))
        nextDay = Timeline.dayParameter(t.day.addingTimeInterval(86_400))
        total = count(t.total, "segment")
        segments = t.segments.map { SegmentRow($0, places: t.places[$0.id], reviewWindow: reviewWindow) }
        hasSegments = !segments.isEmpty
        paged = t.pages > 1
        let day = Timeline.dayParameter(t.day)
        pageLinks = paged ? (1...t.pages).map { PageNumber(number: $0, current: $0 == t.page, day: day) } : []
    }
}

struct PageNumber: Sendable {
    var number: Int
    var current: Bool
    var day: String
}

/// A segment on the timeline: its span, size, where it was recorded and where it is on its way.
struct SegmentRow: Sendable {
    var id: String
    var from: PageTime
    var to: PageTime
    /// For the Forget button's label, without markup.
    var plainFrom: String
    var events: String
    var frames: String
    var size: String
    var apps: String?
    var sites: String?
    var state: String
    /// When the state is a review window's end, that moment.
    var due: PageTime?

    init(_ segment: SegmentInfo, places: SegmentPlaces?, reviewWindow: TimeInterval?, now: Date = WallClock.system.now()) {
        (id, from, to) = (segment.id, ReviewPageHTML.time(segment.from), ReviewPageHTML.time(segment.to))
        plainFrom = ReviewPageHTML.plainTime(segment.from)
        (events, frames, size) = (count(segment.events, "event"), count(segment.frames, "frame"), ReviewPageHTML.size(segment.bytes))
        apps = places.flatMap { $0.apps.isEmpty ? nil : $0.apps.joined(separator: ", ") }
        sites = places.flatMap { $0.sites.isEmpty ? nil : $0.sites.joined(separator: ", ") }
        (state, due) = Self.state(of: segment, reviewWindow: reviewWindow, now: now)
    }

    /// Where a segment is on its way: being recorded, kept here, or waiting out the review window.
    private static func state(of segment: SegmentInfo, reviewWindow: TimeInterval?, now: Date) -> (String, PageTime?) {
        guard segment.sealed else { return ("being recorded", nil) }
        guard let reviewWindow else { return ("kept on this computer", nil) }
        let due = segment.to.addingTimeInterval(reviewWindow)
        return due > now ? ("yours to review: uploads after ", ReviewPageHTML.time(due, dated: true)) : ("uploads at the next sync", nil)
    }
}

struct ConsentView: Sendable {
    var name: String
    var version: Int
    var accepted: PageTime
    var explanation: String?
}

struct ExemptionItem: Sendable {
    var id: String
    var summary: String
}

/// A request waiting for the organisation: what it keeps out, and whether it was sent.
struct ExemptionAsked: Sendable {
    var what: String
    var state: String
}

/// What the collector holds of the contributor: their segments there and the audit records about their data.
struct HoldingView: Sendable {
    struct AuditRow: Sendable {
        var at: PageTime
        var actor: String
        var action: String
    }

    /// A segment there, with the button deleting it there.
    struct HeldRow: Sendable {
        var id: String
        var received: PageTime
        var plainReceived: String
        var size: String
    }

    var server: String
    var segmentCount: String
    var bytes: String
    var auditShown: Int
    var auditTotal: Int
    /// Newest first.
    var audit: [AuditRow]
    var hasSegments: Bool
    var segmentsShown: Int
    var segmentsTotal: Int
    var segments: [HeldRow]

    init?(_ held: HeldByCollector) {
        guard case .held(let server, let segments, let audit) = held else { return nil }
        self.server = server
        segmentCount = count(segments.count, "segment")
        bytes = ReviewPageHTML.size(segments.reduce(0) { $0 + $1.bytes })
        self.audit = audit.suffix(20).reversed().map { AuditRow(at: ReviewPageHTML.time($0.at, dated: true), actor: $0.actor, action: $0.action) }
        (auditShown, auditTotal) = (self.audit.count, audit.count)
        self.segments = segments.sorted { $0.receivedAt > $1.receivedAt }.prefix(50).map { s in
            HeldRow(
                id: s.id, received: ReviewPageHTML.time(s.receivedAt, dated: true), plainReceived: ReviewPageHTML.plainTime(s.receivedAt),
                size: ReviewPageHTML.size(s.bytes))
        }
        (hasSegments, segmentsShown, segmentsTotal) = (!self.segments.isEmpty, self.segments.count, segments.count)
    }
}

/// A segment's page: its steps on their screens, and the form deleting some of them.
struct SegmentView: Sendable {
    var title: String
    var csrf: String
    var notice: String?
    var from: PageTime
    var to: PageTime
    var stepCount: String
    var steps: [StepView]
    var hasSteps: Bool
    /// Only a sealed segment's steps can be deleted.
    var deletion: StepDeletionForm?
}

struct StepView: Sendable {
    var figure: String
    var previous: Int?
    var next: Int?
}

struct StepDeletionForm: Sendable {
    var segment: String
    var first: Int
    var last: Int
}
