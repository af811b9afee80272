import ArgumentParser
import Device
import Foundation
import UnderstudyModel
import Vault

/// `make bench`'s write-path figures: the vault writer's sustained rate with encryption on
/// and off, measured in the same run, alternating, so the ratio survives a noisy machine.
struct VaultBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Measure the vault's write rate with encryption on and off (for make bench)."
    )

    @Option(help: "Where to make the scratch vaults.")
    var scratch: String = FileManager.default.temporaryDirectory.path

    @Option(help: "Events per run.")
    var events: Int = 200_000

    @Option(help: "Frames (one 256 KB patch each) per run.")
    var frames: Int = 300

    @Option(help: "Runs per mode; the median is reported.")
    var runs: Int = 3

    func run() async throws {
        var eventRates: [Bool: [Double]] = [true: [], false: []]
        var frameRates: [Bool: [Double]] = [true: [], false: []]
        for _ in 0..<runs {
            for encrypted in [true, false] {
                eventRates[encrypted]!.append(Double(events) / (try await timeWriting(encrypted: encrypted, frames: false)))
                frameRates[encrypted]!.append(Double(frames) * 262_144 / 1e6 / (try await timeWriting(encrypted: encrypted, frames: true)))
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let result: JSONValue = .object([
            ("events_per_s_encrypted", .double(median(eventRates[true]!))),
            ("events_per_s_plain", .double(median(eventRates[false]!))),
            ("frame_mb_per_s_encrypted", .double(median(frameRates[true]!))),
            ("frame_mb_per_s_plain", .double(median(frameRates[false]!))),
        ])
        print(result.serialized)
    }

    /// Seconds to write and flush a run into a fresh vault, as the recorder does (a flush per batch).
    private func timeWriting(encrypted: Bool, frames withFrames: Bool) async throws -> Double {
        let base = URL(fileURLWithPath: scratch).appendingPathComponent("bench-vault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let vault = try Vault(
            at: base.appendingPathComponent("vault"), create: true,
            keyStore: KeyFileStore(directory: base.appendingPathComponent("keys")), encrypted: encrypted)
        let session = Session(
            startedAt: WallClock.system.now(), backend: "bench", display: "bench", screen: ScreenGeometry(width: 1920, height: 1080, monitors: []))
        let writer = try await VaultWriter(vault: vault, session: session)
        var random = SystemRandomNumberGenerator()
        let pixels = Data((0..<262_144).map { _ in UInt8.random(in: 0...255, using: &random) })
        let start = DispatchTime.now().uptimeNanoseconds
        if withFrames {
            for i in 0..<frames {
                let tile = TileHash(high: UInt64(i), low: 1)
                await writer.append(patch: TilePatch(hash: "\(i)", codec: .png, tileSize: 128, tiles: [tile], data: pixels))
                await writer.append(
                    frame: FrameManifest(
                        hash: "f\(i)", width: 128, height: 128, tileSize: 128,
                        grabbedNs: UInt64(i) * 50_000_000, reason: .periodic, tiles: [tile]))
                if i % 5 == 4 { try await writer.flush() }
            }
        } else {
            for batch in stride(from: 0, to: events, by: 500) {
                await writer.append(
                    (batch..<min(events, batch + 500)).map { i in
                        CapturedEvent(
                            tNs: UInt64(i) * 500_000,
                            body: i % 2 == 0
                                ? .pointerMove(x: i % 1920, y: i % 1080)
                                : .keyDown(key: "a", keycode: 38, mods: [], text: "a"))
                    })
                try await writer.flush()
            }
        }
        try await writer.close(endedAt: WallClock.system.now())
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
