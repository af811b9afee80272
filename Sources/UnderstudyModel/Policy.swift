import Foundation

/// How a window may appear in what is stored.
public enum WindowTreatment: String, Sendable, Codable, Comparable, CaseIterable {
    /// Everything: input, text, frames.
    case capture
    /// Pointer and key timing, but no key text and no title; its pixels are masked in frames.
    case structureOnly = "structure-only"
    /// Nothing at all while focused; its pixels are masked in frames when visible.
    case exclude

    /// How restrictive: `capture` < `structure-only` < `exclude`.
    public static func < (a: WindowTreatment, b: WindowTreatment) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .capture: 0
        case .structureOnly: 1
        case .exclude: 2
        }
    }
}

/// What capture asks before it stores a frame: how each window may appear, and whether
/// frames may be stored at all right now. Implemented above capture (by the policy gate)
/// and called on the capture thread, so answers must be cheap and thread-safe.
public protocol CapturePolicy: Sendable {
    func treatment(of window: WindowContext) -> WindowTreatment
    /// False while capture is paused or consent is gone.
    var framesAllowed: Bool { get }
    /// Changes whenever an answer above may have changed (rules or exemptions reloaded,
    /// pause), so capture looks at every window again.
    var revision: UInt64 { get }
}

/// Finds personal data and secrets in the pixels of a frame, so capture can fill them before
/// the frame is hashed, encoded or stored. Implemented above capture (OCR and the text
/// recognizers); capture calls it from one queue, one call at a time.
public protocol FrameTextScanner: Sendable {
    /// The boxes to fill in `region` (x, y, width, height) of a 4-byte-per-pixel image, in the
    /// image's coordinates. Throws when the region could not be read: capture then stores
    /// nothing of the frame, since it could not be checked.
    func redactions(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)
    ) throws -> [FrameRedaction]
}

/// An organisation's capture policy, as validated from its YAML document.
public struct Policy: Sendable, Equatable {
    /// What kinds of capture are on.
    public struct Capture: Sendable, Equatable {
        public var pointer = true
        public var keys = true
        /// The characters keys produce; off leaves key timing only.
        public var text = true
        public var frames = true
        public var framePeriodSeconds: Double = 5
        /// Read the accessibility bus: page URLs (site rules by URL) and password fields.
        public var accessibility = true
        /// With each stored frame, a snapshot of the focused window's elements (needs
        /// `accessibility`).
        public var accessibilitySnapshots = true

        /// Whether snapshots are taken at all: they need the bus and frames too.
        public var takesSnapshots: Bool { accessibility && accessibilitySnapshots && frames }
        /// How much of a page's URL is kept: its path too (the default), or the host only.
        /// Query and fragment are never kept: they hold tokens.
        public var urlPaths = true

        public init() {}
    }

    /// What a rule looks at. Exactly one field is set.
    public enum Match: Sendable, Equatable, Hashable, CustomStringConvertible {
        /// `WM_CLASS`, case-insensitive.
        case app(String)
        /// A glob (`*`, `?`) on the window title, case-insensitive.
        case title(String)
        /// A host; matches it and its subdomains.
        case site(String)
        /// A catalog category.
        case category(String)

        public var description: String {
            switch self {
            case .app(let v): "app \(v)"
            case .title(let v): "title \"\(v)\""
            case .site(let v): "site \(v)"
            case .category(let v): "category \(v)"
            }
        }
    }

    public struct Rule: Sendable, Equatable, Hashable {
        public var match: Match
        public var action: WindowTreatment

        public init(match: Match, action: WindowTreatment) {
            self.match = match
            self.action = action
        }
    }

    public var name: String
    public var version: Int
    public var organisation: String
    /// Who can see the data, in words for contributors.
    public var audience: String
    /// Whom to ask about the policy.
    public var contact: String
    public var capture = Capture()
    /// Rules; when several match a window, the most restrictive action wins.
    public var rules: [Rule] = []
    /// The action for windows no rule matches.
    /// A browser window whose page cannot be read (its URL unknown): site rules cannot be
    /// applied to it, so it is treated so, by default structure-only.
    public var unknownSite: WindowTreatment = .structureOnly
    /// Private and incognito browsing windows: excluded unless the policy says otherwise
    /// (`private-windows`); the policy's rules still apply to them when it does.
    public var privateWindows: WindowTreatment = .exclude
    public var defaultAction: WindowTreatment = .capture
    public var pauseCapSeconds: Double = 1800
    /// Pressed anywhere, pauses recording (for up to the pause cap) and, pressed again, resumes;
    /// nil when the policy says `pause-hotkey: none`.
    public var pauseHotkey: Hotkey? = .standard
    /// How long captured data waits on the device, reviewable, before upload.
    public var reviewWindowSeconds: Double = 86400
    /// How long data is kept on the device.
    public var retentionSeconds: Double = 7 * 86400
    /// Redaction recognizers that are on.
    public var redaction: Set<RedactionKind> = Set(RedactionKind.allCases)
    /// Kinds for which a frame showing one is not stored at all, rather than stored with the
    /// value filled (a subset of `redaction`).
    public var dropFrames: Set<RedactionKind> = []

    public init(name: String, version: Int, organisation: String, audience: String, contact: String) {
        self.name = name
        self.version = version
        self.organisation = organisation
        self.audience = audience
        self.contact = contact
    }
}
