import Foundation
import Synchronization
import UnderstudyModel

/// A load generator: a known stream of events and frames at a fixed rate, in real time.
///
/// Crash and quota tests kill or starve a recorder fed by it and then compare the vault with
/// ``event(_:load:)``, which says exactly what event `i` was and when it was captured.
/// Benchmarks use it to drive the write path without an X server.
public final class SyntheticBackend: CaptureBackend {
    /// How much to generate.
    public struct Load: Sendable, Equatable {
        public var eventsPerSecond: Int
        public var framesPerSecond: Int
        /// Bytes of (incompressible) pixels per frame.
        public var frameBytes: Int

        public init(eventsPerSecond: Int, framesPerSecond: Int = 0, frameBytes: Int = 65536) {
            self.eventsPerSecond = max(1, eventsPerSecond)
            self.framesPerSecond = framesPerSecond
            self.frameBytes = frameBytes
        }
    }

    public let name = "synthetic"
    public let display = "synthetic"
    public let screen = ScreenGeometry(width: 1920, height: 1080, monitors: [])
    public let originNs: UInt64
    public let records: AsyncThrowingStream<CaptureRecord, Error>
    private let stopped = Atomic<Bool>(false)

    public init(load: Load) {
        originNs = MonotonicClock.nowNs()
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: CaptureRecord.self, bufferingPolicy: .unbounded)
        records = stream
        let thread = Thread { [self] in generate(load: load, continuation: continuation) }
        thread.name = "understudy synthetic capture"
        thread.start()
    }

    public func stop() { stopped.store(true, ordering: .sequentiallyConsistent) }
    public func requestKeyframe() {}
    public func pipelineStats() -> FramePipelineStats { FramePipelineStats() }

    /// Event `i` of the stream: typed text and pointer moves, alternating.
    public static func event(_ i: Int64, load: Load) -> CapturedEvent {
        let tNs = UInt64(i) * 1_000_000_000 / UInt64(load.eventsPerSecond)
        if i % 2 == 0 {
            let letters = Array("understudy synthetic load ")
            let text = String(letters[Int(i / 2) % letters.count])
            return CapturedEvent(tNs: tNs, body: .keyDown(key: text == " " ? "space" : text, keycode: 38, mods: [], text: text))
        }
        return CapturedEvent(tNs: tNs, body: .pointerMove(x: Int(i % 1920), y: Int(i / 1920 % 1080)))
    }

    private func generate(load: Load, continuation: AsyncThrowingStream<CaptureRecord, Error>.Continuation) {
        var nextEvent: Int64 = 0
        var nextFrame: UInt64 = 0
        var pixels = [UInt8](repeating: 0, count: load.frameBytes)
        var random = SystemRandomNumberGenerator()
        for i in pixels.indices { pixels[i] = random.next() }
        let framePeriodNs = load.framesPerSecond > 0 ? 1_000_000_000 / UInt64(load.framesPerSecond) : UInt64.max
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let now = MonotonicClock.nowNs() &- originNs
            var batch: [CapturedEvent] = []
            while Self.event(nextEvent, load: load).tNs <= now {
                batch.append(Self.event(nextEvent, load: load))
                nextEvent += 1
            }
            if !batch.isEmpty { continuation.yield(.events(batch)) }
            while framePeriodNs != .max, nextFrame * framePeriodNs <= now {
                let tiles = (0..<4).map { TileHash(high: nextFrame, low: UInt64($0)) }
                withUnsafeBytes(of: nextFrame) { pixels.replaceSubrange(0..<min(8, pixels.count), with: $0.prefix(pixels.count)) }
                continuation.yield(
                    .tiles(TilePatch(hash: String(format: "%016llx", nextFrame), codec: .png, tileSize: 128, tiles: tiles, data: Data(pixels))))
                continuation.yield(
                    .frame(
                        FrameManifest(
                            hash: String(format: "5e5e5e5e5e5e5e5e%016llx", nextFrame), width: 256, height: 256, tileSize: 128,
                            grabbedNs: nextFrame * framePeriodNs, reason: .periodic, tiles: tiles)))
                nextFrame += 1
            }
            usleep(5000)
        }
        continuation.finish()
    }
}
