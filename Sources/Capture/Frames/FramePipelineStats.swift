/// Per-frame timings of the frame pipeline, for `make bench`.
public struct FramePipelineStats: Sendable, Codable {
    public var grabMs: [Double] = []
    public var diffMs: [Double] = []
    public var encodeMs: [Double] = []
    /// Encoded bytes each stored frame added.
    public var bytesPerFrame: [Int] = []
    public var framesStored = 0
    /// Frames whose tiles were all unchanged, so nothing was stored.
    public var identicalSkipped = 0
    /// Pointer-downs with no grab finished before them (the screen had never been grabbed).
    public var missedObservations = 0
    public var encodeFailures = 0
    /// Time OCR and filling took per stored frame (redaction on), and the share of each frame read.
    public var redactMs: [Double] = []
    public var readShare: [Double] = []
    public var redactionBoxes = 0
    /// Frames kept without pixels: they showed a kind the policy drops frames for, OCR failed, or they followed one.
    public var framesWithheld = 0
    /// Frames not taken because the output queue was still busy with earlier ones.
    public var busySkipped = 0
    /// Records dropped because the recorder fell a whole buffer behind capture.
    public var recordsDropped = 0

    public init() {}

    public struct Summary: Sendable, Codable, Equatable {
        public var median: Double
        public var p95: Double
        public var count: Int
    }

    public static func summarize(_ values: [Double]) -> Summary {
        guard !values.isEmpty else { return Summary(median: 0, p95: 0, count: 0) }
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
        return Summary(median: at(0.5), p95: at(0.95), count: sorted.count)
    }
}
