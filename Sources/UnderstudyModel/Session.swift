import Foundation

/// One monitor of the screen, in root-window pixels.
public struct Monitor: Sendable, Equatable, Codable {
    public var name: String
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var primary: Bool

    public init(name: String, x: Int, y: Int, width: Int, height: Int, primary: Bool) {
        self.name = name
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.primary = primary
    }
}

/// The whole screen a session saw: the root window's size and every monitor on it.
public struct ScreenGeometry: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public var monitors: [Monitor]

    public init(width: Int, height: Int, monitors: [Monitor]) {
        self.width = width
        self.height = height
        self.monitors = monitors
    }
}

/// One run of the recorder.
public struct Session: Sendable, Equatable, Codable {
    public var id: String
    public var startedAt: Date
    public var endedAt: Date?
    /// Which capture backend recorded it, e.g. `x11-record`.
    public var backend: String
    /// The display it recorded, e.g. `:1`.
    public var display: String
    public var screen: ScreenGeometry
    /// SHA-256 of the policy document the session ran under.
    public var policyHash: String?
    /// True when the policy was not signed and the recorder ran with `--unsigned-policy`.
    public var policyUnsigned: Bool
    /// When the contributor consented to the policy (or the wider one it narrows).
    public var consentedAt: Date?

    public init(
        id: String = UUID().uuidString.lowercased(), startedAt: Date, endedAt: Date? = nil,
        backend: String, display: String, screen: ScreenGeometry, policyHash: String? = nil,
        policyUnsigned: Bool = false, consentedAt: Date? = nil
    ) {
        self.id = id
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.backend = backend
        self.display = display
        self.screen = screen
        self.policyHash = policyHash
        self.policyUnsigned = policyUnsigned
        self.consentedAt = consentedAt
    }
}
