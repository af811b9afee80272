import CollectorAPI
import Foundation
import UnderstudyModel

// What the console's templates name: one view a page, its rows and parts. Every value is
// text or a number as shown; the templates escape it. Stored properties only: a template
// reads a view through `Mirror`, which sees no computed one. Only a step's figure and its frames'
// strips are markup, drawn and escaped by the code that makes them.

/// What every console page has around its own view (`page`): its title, who is signed in, the
/// CSRF token its forms carry, and what the last action did.
struct ConsoleView<Page: Sendable>: Sendable {
    var title: String
    var signedIn: SignedIn?
    var csrf: String?
    var notice: String?
    var page: Page
}

struct SignedIn: Sendable {
    var name: String
    var role: String
}

/// A form of one button posting `field` (and the CSRF token) to `action`.
struct Button: Sendable {
    var action: String
    var field: String
    var value: String
    var id: String
    var label: String
    var ariaLabel: String?
}

struct LoginView: Sendable {
    var failure: String?
}

/// The sections a role reaches from the console's first page.
struct HomeView: Sendable {
    var name: String
    var role: String
    var officer: Bool
    var seesPeople: Bool
    var admin: Bool
    var reviewer: Bool
    var scientist: Bool
}

struct ExemptionsView: Sendable {
    var pending: [PendingRequest]
    var decided: DecidedTable?
}

/// A request waiting for a privacy officer, with its approve and deny form.
struct PendingRequest: Sendable {
    /// `contributor-id`: unique on the page, for the form's element ids.
    var key: String
    var id: String
    var contributor: String
    var what: String
    var asked: PageTime
    var reason: String
}

struct DecidedTable: Sendable {
    var shown: Int
    var total: Int
    var rows: [DecidedRow]
}

struct DecidedRow: Sendable {
    var contributor: String
    var what: String
    var status: String
    var by: String
    var when: PageTime?
}

struct PeopleView: Sendable {
    var users: [UserRow]
    var codes: [CodeRow]
    var hasCodes: Bool
}

/// A member of staff: an approve button for a privacy officer while they wait, else their state.
struct UserRow: Sendable {
    var name: String
    var role: String
    var since: PageTime
    var approve: Button?
    var state: String?
}

struct CodeRow: Sendable {
    var id: String
    var contributor: String
    var createdBy: String
    var expires: PageTime
    var approve: Button?
    var state: String?
}

struct DevicesView: Sendable {
    var devices: [EnrolledDeviceRow]
    var hasDevices: Bool
}

/// An enrolled device: when it was revoked, or the button revoking it.
struct EnrolledDeviceRow: Sendable {
    var id: String
    var contributor: String
    var name: String
    var enrolled: PageTime
    var revoked: PageTime?
    var revoke: Button?
}

struct PoliciesView: Sendable {
    /// Newest first.
    var policies: [PolicySection]
    /// Shows the publishing form.
    var officer: Bool
}

struct PolicySection: Sendable {
    /// How a policy differs from the one before it, in the words of a device's consent prompt.
    struct Comparison: Sendable {
        var before: Int
        var widenings: [String]
        var recordsMore: Bool
    }

    var name: String
    var version: Int
    var published: PageTime
    var hash: String
    var comparison: Comparison?
    var explanation: String?
    var document: String
}

struct ErasuresView: Sendable {
    var done: [AuditRecordRow]
    var hasDone: Bool
    var shown: Int
}

struct AuditRecordRow: Sendable {
    var seq: Int64
    var at: PageTime
    var actor: String
    var action: String
    var subject: String

    init(_ record: AuditRecordListing) {
        (seq, at, actor, action, subject) = (record.seq, ConsoleHTML.time(record.at), record.actor, record.action, record.subject ?? "")
    }
}

struct AuditView: Sendable {
    var broken: BrokenLink?
    var total: Int
    /// The start of the newest record's hash.
    var last: String
    var shown: Int
    /// Newest first.
    var records: [AuditRecordRow]
}

/// Where the audit chain breaks: the first record that does not hold its predecessor's hash.
struct BrokenLink: Sendable {
    var seq: Int64
    var action: String
}

struct ReviewView: Sendable {
    var segments: [ReviewRow]
    var hasSegments: Bool
}

struct ReviewRow: Sendable {
    var id: String
    /// `id` as one path segment of the segment's page.
    var path: String
    var contributor: String
    var size: String
    var judged: Int
    var bad: Int
}

/// A page of a held segment's steps, each with its verdict form.
struct ReviewSegmentView: Sendable {
    var id: String
    var stepCount: Int
    var number: Int
    var pages: Int
    /// The SVG the page's frames are drawn from, once for all of them.
    var strips: String
    var steps: [JudgedStep]
    var hasSteps: Bool
    var links: [PageLink]
}

struct JudgedStep: Sendable {
    /// The step's figure: its frame with the action drawn over it.
    var figure: String
    var index: Int
    var startNs: UInt64
}

struct PageLink: Sendable {
    var path: String
    var target: Int
    var label: String
}

struct DatasetsView: Sendable {
    var segments: Int
    var contributors: Int
    var size: String
    var rejected: Int
    var exports: [ExportRow]
    var hasExports: Bool
    var exportsShown: Int
    var exportsTotal: Int
    var erasures: [ErasureListing]
    var hasErasures: Bool
}

/// A registered export, and what it must delete: the contributors in it erased since it was made.
struct ExportRow: Sendable {
    var id: String
    var path: String
    var made: PageTime
    var scientist: String
    var format: String
    var episodes: Int
    var steps: Int
    var segments: Int
    var act: String
    var actClass: String

    init(_ export: DatasetExportListing, erasures: [ErasureListing]) {
        let erased = Self.erasedSince(export, erasures)
        (id, path, made, scientist) = (export.id, ConsoleAPI.segment(export.id), ConsoleHTML.time(export.registeredAt), export.scientist)
        (format, episodes, steps, segments) = (export.format, export.episodes, export.steps, export.segments.count)
        act = erased.isEmpty ? "nothing" : "delete \(erased.count) erased contributor(s)"
        actClass = erased.isEmpty ? "" : "act"
    }

    /// The erasures, on the export's day or after, of contributors whose sessions it holds. An
    /// erasure is known only by its day, so one the same day as the export counts: the export
    /// may have been made before it.
    static func erasedSince(_ export: DatasetExportListing, _ erasures: [ErasureListing]) -> [ErasureListing] {
        let day = String(RFC3339.string(from: export.registeredAt).prefix(10))
        let contributors = export.contributors
        return erasures.filter { contributors.contains($0.contributor) && $0.erasedOn >= day }
    }
}

struct DatasetExportView: Sendable {
    var id: String
    var made: PageTime
    var scientist: String
    var format: String
    var episodes: Int
    var steps: Int
    var frames: Int
    var segments: Int
    var contributors: Int
    var mustDelete: [ErasedInExport]
    var hasMustDelete: Bool
    var manifest: String
}

struct ErasedInExport: Sendable {
    var contributor: String
    var erasedOn: String
    /// Their sessions' ids in the export, comma-separated.
    var sessions: String
}

struct RefusedView: Sendable {
    var status: Int
    var code: String
    var message: String
}
