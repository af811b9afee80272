import Foundation

/// Pointer buttons as the event contract names them. Wheel buttons are never buttons here:
/// they become `scroll` events.
public enum PointerButton: String, Sendable, CaseIterable, Codable {
    case left, middle, right, back, forward
}

/// Modifier keys that were held when a key or button event happened.
public enum Modifier: String, Sendable, CaseIterable, Codable, Comparable {
    case shift, ctrl, alt, `super`

    public static func < (a: Modifier, b: Modifier) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The window that had focus: enough context to tell which app and document an action was in.
public struct WindowContext: Sendable, Equatable, Codable {
    /// `WM_CLASS` class (e.g. `XTerm`).
    public var app: String
    public var title: String
    public var pid: Int?
    /// The platform's window id.
    public var window: UInt64
    /// x, y, width, height in root-window pixels.
    public var rect: [Int]
    public var url: String?
    /// The keyboard focus is in a password field (its accessible role says so): keys typed
    /// there are kept as timing only, whatever the window's policy.
    public var passwordField: Bool
    /// A private (incognito) browsing window, as the browser tells the accessibility bus where
    /// its title does not say so (Chromium's X title omits its "(Incognito)").
    public var privateWindow: Bool

    public init(
        app: String, title: String, pid: Int?, window: UInt64, rect: [Int], url: String? = nil, passwordField: Bool = false,
        privateWindow: Bool = false
    ) {
        self.app = app
        self.title = title
        self.pid = pid
        self.window = window
        self.rect = rect
        self.url = url
        self.passwordField = passwordField
        self.privateWindow = privateWindow
    }

    /// A browser's window, by `WM_CLASS`: it shows sites, which only the page's URL names.
    public var isBrowser: Bool {
        ["chromium", "google-chrome", "firefox", "firefox-esr", "navigator", "brave-browser", "microsoft-edge", "vivaldi-stable", "epiphany"]
            .contains(app.lowercased())
    }
}

public enum FrameReason: String, Sendable, Codable { case action, periodic, focus }
public enum PauseCause: String, Sendable, Codable { case user, policy, exemption }
public enum GapReason: String, Sendable, Codable {
    case excludedApp = "excluded-app"
    case sensitiveField = "sensitive-field"
    case quota, error
    /// The contributor deleted these steps before upload (the review page's "delete steps").
    case deleted
}
/// How a task the contributor marked ended: `understudy task end` or `task end --failed`.
public enum TaskOutcome: String, Sendable, Codable { case done, failed }

public enum RedactionKind: String, Sendable, Codable, CaseIterable {
    case email, phone
    case creditCard = "credit_card"
    case iban, ssn, secret, password, custom
    /// Other people's names (colleagues, customers, anyone on a screen of mail or chat).
    case personName = "person_name"
}

/// What stands in stored text for a value redaction removed, when not `[KIND]`: a person's
/// pseudonym (`⟨person:3⟩`), the contributor's own token (`⟨self:name⟩`, `⟨self:user⟩`,
/// `⟨self:email⟩`, `⟨self:host⟩`), or `~` for their home folder.
public enum RedactedToken {
    public static func isValid(_ token: String) -> Bool {
        if token == "~" || ["⟨self:name⟩", "⟨self:user⟩", "⟨self:email⟩", "⟨self:host⟩"].contains(token) { return true }
        guard token.hasPrefix("⟨person:"), token.hasSuffix("⟩") else { return false }
        let number = token.dropFirst("⟨person:".count).dropLast()
        return (1...9).contains(number.count) && number.allSatisfy(\.isASCII) && number.allSatisfy(\.isNumber) && number.first != "0"
    }
}

/// What happened, by kind; the fields of each kind are DESIGN.md's event contract.
public enum EventBody: Sendable, Equatable {
    case pointerMove(x: Int, y: Int)
    case pointerDown(x: Int, y: Int, button: PointerButton)
    case pointerUp(x: Int, y: Int, button: PointerButton)
    /// `dy` > 0 scrolls down, `dx` > 0 right, in notches.
    case scroll(x: Int, y: Int, dx: Int, dy: Int)
    case keyDown(key: String, keycode: Int, mods: [Modifier], text: String?)
    case keyUp(key: String, keycode: Int, mods: [Modifier])
    case focus(WindowContext)
    /// `frame` is the content hash of the stored frame.
    case frame(frame: String, w: Int, h: Int, reason: FrameReason)
    case pause(until: Date?, by: PauseCause)
    case resume(by: PauseCause)
    case gap(reason: GapReason, fromNs: UInt64, toNs: UInt64)
    /// `count` typed characters removed; `token`, when set, is what stands for them in the text
    /// (``RedactedToken``: a person's pseudonym or the contributor's own token) instead of `[KIND]`.
    case redacted(what: RedactionKind, count: Int, token: String? = nil)
    /// `understudy task start "INSTRUCTION"`: an episode with this instruction begins (the
    /// instruction has been through text redaction).
    case taskStart(instruction: String)
    /// `understudy task end [--failed]`: the open task's episode ends.
    case taskEnd(outcome: TaskOutcome)
    /// The element the input at `ofNs` (a press, a release ending a drag, a scroll, the first
    /// key of typing) was aimed at, from the accessibility bus.
    case target(ofNs: UInt64, element: AccessibleElement)
    /// What the accessibility bus showed of `window` (the focused window, by its X id, as in
    /// `focus`) when `frame` was stored.
    case accessibilitySnapshot(frame: String, window: UInt64, snapshot: AccessibilitySnapshot)

    /// The contract's `kind` string.
    public var kind: String {
        switch self {
        case .pointerMove: "pointer.move"
        case .pointerDown: "pointer.down"
        case .pointerUp: "pointer.up"
        case .scroll: "scroll"
        case .keyDown: "key.down"
        case .keyUp: "key.up"
        case .focus: "focus"
        case .frame: "frame"
        case .pause: "pause"
        case .resume: "resume"
        case .gap: "gap"
        case .redacted: "redacted"
        case .taskStart: "task.start"
        case .taskEnd: "task.end"
        case .target: "target"
        case .accessibilitySnapshot: "a11y"
        }
    }

    /// Every kind the contract defines, in the order the table in DESIGN.md lists them.
    public static let allKinds = [
        "pointer.move", "pointer.down", "pointer.up", "scroll", "key.down", "key.up",
        "focus", "frame", "pause", "resume", "gap", "redacted", "task.start", "task.end", "target", "a11y",
    ]
}

/// An event as capture produces it: when it happened (nanoseconds since the session's
/// origin) and what it was, before the recorder gives it a `seq`.
public struct CapturedEvent: Sendable, Equatable {
    public var tNs: UInt64
    public var body: EventBody

    public init(tNs: UInt64, body: EventBody) {
        self.tNs = tNs
        self.body = body
    }
}

/// One captured event: when it happened and what it was.
public struct Event: Sendable, Equatable {
    /// Per session, from 0, without gaps.
    public var seq: Int64
    /// Monotonic nanoseconds since the session started.
    public var tNs: UInt64
    public var wall: Date
    public var body: EventBody

    public init(seq: Int64, tNs: UInt64, wall: Date, body: EventBody) {
        self.seq = seq
        self.tNs = tNs
        self.wall = wall
        self.body = body
    }

    public var kind: String { body.kind }
}
