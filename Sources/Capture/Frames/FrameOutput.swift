import CFrameCodec
import Crypto
import Foundation
import Synchronization
import UnderstudyModel

struct TileStrip: Sendable {
    var tiles: [TileHash]
    var pixels: [UInt8]
    var tileSize: Int
}

extension TileStrip {
    /// Adds one tile (`tileSize`² pixels) at the bottom.
    mutating func append(_ tile: TileHash, _ pixels: [UInt8]) {
        tiles.append(tile)
        self.pixels += pixels
    }
}

/// What the capture thread hands to the output queue for one stored frame.
struct FrameJob: Sendable {
    /// The layout over the grab's own tiles; its hash is the frame's id.
    var manifest: FrameManifest
    /// Whether the frame carries all of its tiles (a keyframe).
    var keyframe: Bool
    var strip: TileStrip
    /// What to read for redaction; nil when frames are not redacted.
    var scan: ScanArea?
}

/// The second half of the frame pipeline, off the capture thread: each stored frame is
/// redacted (when a scanner is set), its new tiles encoded, and its layout and tiles handed
/// on, one frame at a time in capture order.
final class FrameOutput: @unchecked Sendable {
    // `redaction` is touched only on `queue`; everything else is immutable or atomic.
    private let queue = DispatchQueue(label: "understudy.frame-output", qos: .utility)
    private let codec: TileCodec
    private let level: Int
    private let redaction: FrameRedactionStage?
    private let shared: X11CaptureLoop.Shared
    private let waiting = Atomic<Int>(0)

    init(codec: TileCodec, level: Int, redaction: FrameRedactionStage?, shared: X11CaptureLoop.Shared) {
        self.codec = codec
        self.level = level
        self.redaction = redaction
        self.shared = shared
    }

    /// Frames submitted and not yet handed on.
    var backlog: Int { waiting.load(ordering: .relaxed) }

    func submit(_ job: FrameJob) {
        waiting.add(1, ordering: .relaxed)
        queue.async { [self] in
            defer { waiting.subtract(1, ordering: .relaxed) }
            process(job)
        }
    }

    /// Waits until every submitted frame is handed on.
    func drain() { queue.sync {} }

    private func process(_ job: FrameJob) {
        var frame = job.manifest
        var strip = job.strip
        if let redaction {
            let start = MonotonicClock.nowNs()
            let outcome = redaction.process(job)
            let ms = Double(MonotonicClock.nowNs() - start) / 1e6
            shared.stats.withLock {
                $0.redactMs.append(ms)
                $0.readShare.append(job.scan?.readShare(width: frame.width, height: frame.height) ?? 0)
            }
            switch outcome {
            case .store(let redacted, let tiles):
                frame = redacted
                strip = tiles
                shared.stats.withLock { $0.redactionBoxes += redacted.redactions.count }
            case .withhold(let withheld, let rescan):
                shared.stats.withLock { $0.framesWithheld += 1 }
                shared.keyframeRequested.store(true, ordering: .sequentiallyConsistent)
                if rescan { shared.rescanRequested.store(true, ordering: .sequentiallyConsistent) }
                shared.send(.frame(withheld))
                return
            }
        }
        shared.send(.frame(frame))
        guard !strip.tiles.isEmpty else { return }
        let start = MonotonicClock.nowNs()
        do {
            let patch = try encode(strip)
            shared.stats.withLock {
                $0.encodeMs.append(Double(MonotonicClock.nowNs() - start) / 1e6)
                $0.bytesPerFrame.append(patch.data.count)
            }
            shared.send(.tiles(patch))
        } catch {
            shared.stats.withLock { $0.encodeFailures += 1 }
        }
    }

    private func encode(_ strip: TileStrip) throws -> TilePatch {
        let data = try strip.pixels.withUnsafeBytes { raw in
            try PixelCodec.encode(
                raw.baseAddress!, width: strip.tileSize, height: strip.tileSize * strip.tiles.count,
                stride: strip.tileSize * 4, codec: codec, level: level)
        }
        let hash = SHA256.hash(data: data).hexDigits
        return TilePatch(hash: hash, codec: codec, tileSize: strip.tileSize, tiles: strip.tiles, data: data)
    }
}
