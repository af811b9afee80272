import Capture
import Foundation
import TestSupport
import UnderstudyModel

/// What a backend produced while a test drove its display.
struct Captured {
    var events: [(t: UInt64, body: EventBody)] = []
    var manifests: [FrameManifest] = []
    var patches: [TilePatch] = []
    var hotkeyPresses = 0
    var stats = FramePipelineStats()

    func bodies(_ kinds: Set<String>) -> [EventBody] { events.map(\.body).filter { kinds.contains($0.kind) } }

    /// Where each tile is, from the patches captured.
    func tileSource(_ tile: TileHash) -> FrameAssembler.TileSource? {
        for patch in patches.reversed() {
            if let index = patch.tiles.firstIndex(of: tile) {
                let data = patch.data
                return .init(patchID: patch.hash, codec: patch.codec, index: index) { data }
            }
        }
        return nil
    }
}

/// Records `session` with the X11 backend while `drive` runs, then stops and collects.
func capture(
    _ session: XSession, frames: Bool = true, codec: TileCodec = .webp, period: Duration = .seconds(5), settle: Duration = .milliseconds(400),
    redaction: FrameRedactionSettings? = nil, keyframeInterval: Duration = .seconds(60), policy: (any CapturePolicy)? = nil,
    drive: () throws -> Void
) async throws -> Captured {
    var settings = X11CaptureSettings(display: session.display, redaction: redaction)
    settings.policy = policy
    settings.frames.keyframeInterval = keyframeInterval
    settings.frames.enabled = frames
    settings.frames.codec = codec
    settings.frames.periodic = period
    let backend = try X11Backend(settings: settings)
    let collector = Task {
        var captured = Captured()
        for try await record in backend.records {
            switch record {
            case .events(let batch): captured.events += batch.map { ($0.tNs, $0.body) }
            case .frame(let manifest): captured.manifests.append(manifest)
            case .tiles(let patch): captured.patches.append(patch)
            case .hotkey: captured.hotkeyPresses += 1
            }
        }
        return captured
    }
    defer { backend.stop() }
    try await Task.sleep(for: settle)
    try drive()
    try await Task.sleep(for: .milliseconds(700))
    backend.stop()
    var captured = try await collector.value
    captured.stats = backend.pipelineStats()
    return captured
}
