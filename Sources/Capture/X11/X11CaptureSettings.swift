import UnderstudyModel

/// Settings of the X11 capture backend; the defaults are what `understudy record` uses.
public struct X11CaptureSettings: Sendable {
    /// The X display, e.g. `:1`; nil means `$DISPLAY`.
    public var display: String?
    public var frames = FrameSettings()
    /// How long events wait to be put in time order: RECORD delivers input in batches up to
    /// ~80 ms late, while focus changes arrive at once.
    public var reorderWindow: Duration = .milliseconds(300)
    /// Which windows are masked in frames, and when frames may not be stored at all; nil
    /// stores everything.
    public var policy: (any CapturePolicy)?
    /// How personal data and secrets are found and filled in frames; nil stores frames as grabbed.
    public var redaction: FrameRedactionSettings?
    /// Reading the accessibility bus for page URLs and password fields; nil leaves it alone.
    public var accessibility: AccessibilitySettings?
    /// Grabbed on the whole display: pressing it sends ``CaptureRecord/hotkey`` and stores
    /// none of its key presses; nil grabs nothing.
    public var hotkey: Hotkey?

    public init(
        display: String? = nil, frames: FrameSettings = FrameSettings(), policy: (any CapturePolicy)? = nil,
        redaction: FrameRedactionSettings? = nil
    ) {
        self.display = display
        self.frames = frames
        self.policy = policy
        self.redaction = redaction
    }
}

/// Redaction of frame pixels: what finds the text to fill, and which kinds withhold a frame whole.
public struct FrameRedactionSettings: Sendable {
    public var scanner: any FrameTextScanner
    /// A frame showing one of these is not stored at all (its layout is kept, marked withheld).
    public var dropFrames: Set<RedactionKind>
    /// Frames waiting for OCR beyond this are not taken (the next one covers what changed).
    public var maxBacklog = 4

    public init(scanner: any FrameTextScanner, dropFrames: Set<RedactionKind> = []) {
        self.scanner = scanner
        self.dropFrames = dropFrames
    }
}

/// When frames are taken and how they are stored.
public struct FrameSettings: Sendable {
    public var enabled = true
    /// At most this often when the screen changed and nothing else took a frame.
    public var periodic: Duration = .seconds(5)
    /// A frame is taken once typing has paused this long.
    public var typingPause: Duration = .milliseconds(500)
    /// A frame is taken once scrolling has stopped this long.
    public var scrollEnd: Duration = .milliseconds(300)
    /// After a focus change, the new window gets this long to paint before its frame.
    public var focusSettle: Duration = .milliseconds(250)
    /// After damage, the screen is grabbed once it has been quiet this long…
    public var grabSettle: Duration = .milliseconds(15)
    /// …or once damage has been pending this long, whichever comes first.
    public var grabMaxDelay: Duration = .milliseconds(60)
    public var tileSize = 128
    /// Lossless WebP: on `make bench`'s workload a fifth of PNG's bytes per frame for about
    /// twice the encode time (both near a millisecond), at the same recorder CPU.
    public var codec: TileCodec = .webp
    /// zlib level for PNG, method for WebP.
    public var codecLevel = 1
    /// Every this often, the next stored frame carries all of its tiles again, so a frame
    /// never depends on tiles stored long before it (the unit later deleted together).
    public var keyframeInterval: Duration = .seconds(60)

    public init() {}
}

/// How capture reads the accessibility bus (AT-SPI 2).
public struct AccessibilitySettings: Sendable {
    /// Set the session's accessibility status on, as assistive tools do: toolkits started from
    /// then on (and Firefox, at once) expose their widgets.
    public var enable = true
    /// How often the bus is read.
    public var interval: Duration = .milliseconds(150)
    /// How long one call may take before its answer counts as unknown.
    public var deadline: Duration = .milliseconds(250)
    /// A snapshot of the focused window with each stored frame (nil: none).
    public var snapshots: SnapshotLimits? = SnapshotLimits()

    public init() {}
}

/// How much of a window an accessibility snapshot may hold, and how long it may take: a page
/// of 100,000 elements costs at most this. A snapshot cut short says so (`truncated`).
public struct SnapshotLimits: Sendable, Equatable {
    public var maxNodes = 400
    public var maxDepth = 32
    public var budget: Duration = .milliseconds(200)

    public init() {}
}
