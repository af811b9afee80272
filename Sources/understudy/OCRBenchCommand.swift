import ArgumentParser
import Capture
import Foundation
import Privacy
import UnderstudyModel
import Vault

/// `make bench`'s OCR cost: for frames a recorder stored, reading only what changed since the
/// frame before (the rows of changed tiles, a tile wider on each side) against reading the
/// whole frame, as a full-frame redactor would.
struct OCRBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ocr",
        abstract: "Measure OCR time per stored frame, changed regions against whole frames (for make bench).",
        shouldDisplay: false
    )

    @OptionGroup var vaultOptions: VaultOptions

    @Option(help: "How many frames to measure, spread over the session.")
    var frames = 12

    func run() throws {
        let vault = try vaultOptions.open()
        let (session, hashes) = try vault.newestSessionFrames()
        guard hashes.count >= 2 else { throw CommandFailure("the session has fewer than two frames") }
        let ocr = try TextRecognition()
        let picks = Set(stride(from: 1, to: hashes.count, by: max(1, hashes.count / frames)).prefix(frames))
        var changedMs: [Double] = [], fullMs: [Double] = [], changedShare: [Double] = []
        var previous: FrameManifest?
        for (index, hash) in hashes.enumerated() {
            guard let (segment, manifest) = try vault.frame(session: session.id, hash: hash) else { continue }
            defer { previous = manifest }
            guard picks.contains(index), let before = previous, before.tiles.count == manifest.tiles.count else { continue }
            let pixels = try vault.pixels(of: manifest, segment: segment)
            let regions = Self.changedBands(before, manifest)
            let stride = manifest.width * 4
            changedMs.append(try Self.milliseconds {
                try pixels.withUnsafeBytes { raw in
                    for r in regions { _ = try ocr.lines(in: raw, width: manifest.width, height: manifest.height, stride: stride, region: r) }
                }
            })
            fullMs.append(try Self.milliseconds {
                _ = try pixels.withUnsafeBytes { try ocr.lines(in: $0, width: manifest.width, height: manifest.height, stride: stride) }
            })
            changedShare.append(Double(regions.reduce(0) { $0 + $1.w * $1.h }) / Double(manifest.width * manifest.height))
        }
        func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
        print(JSONValue.object([
            ("frames", .int(Int64(fullMs.count))),
            ("changed_region_ms_median", .double(median(changedMs))), ("full_frame_ms_median", .double(median(fullMs))),
            ("changed_region_ms_total", .double(changedMs.reduce(0, +))), ("full_frame_ms_total", .double(fullMs.reduce(0, +))),
            ("changed_area_share_median", .double(median(changedShare))),
        ]).serialized)
    }

    /// For each row of tiles with a changed tile, that row from its first to its last changed
    /// tile; rows next to each other that overlap sideways are read as one region.
    static func changedBands(_ before: FrameManifest, _ after: FrameManifest) -> [(x: Int, y: Int, w: Int, h: Int)] {
        var bands: [(x: Int, y: Int, w: Int, h: Int)] = []
        let size = after.tileSize
        for row in 0..<after.rows {
            let changed = (0..<after.columns).filter { before.tiles[row * after.columns + $0] != after.tiles[row * after.columns + $0] }
            guard let first = changed.first, let last = changed.last else { continue }
            let x0 = first * size, x1 = min(after.width, (last + 1) * size)
            let y0 = row * size, y1 = min(after.height, y0 + size)
            if let previous = bands.last, previous.y + previous.h == y0, previous.x < x1, x0 < previous.x + previous.w {
                let mx0 = min(previous.x, x0), mx1 = max(previous.x + previous.w, x1)
                bands[bands.count - 1] = (mx0, previous.y, mx1 - mx0, y1 - previous.y)
            } else {
                bands.append((x0, y0, x1 - x0, y1 - y0))
            }
        }
        return bands
    }

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }
}
