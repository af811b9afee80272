import ArgumentParser
import Capture
import Device
import Foundation
import Privacy
import UnderstudyModel
import Vault

/// `make bench`'s full-frame OCR cost: reading whole stored frames, as a redactor without
/// change tracking would (Presidio's image redactor reads the whole image). The recorder's own
/// figure, reading only what changed, comes from its `--stats` (`redact_ms`).
struct OCRBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocr",
        abstract: "Measure OCR time on whole stored frames (for make bench)."
    )

    @Option(help: "The vault whose newest session's frames are read.")
    var vault: String

    @Option(help: "How many frames to measure, spread over the session.")
    var frames = 12

    func run() throws {
        let vault = try Vault(at: URL(fileURLWithPath: self.vault), create: false)
        let (session, hashes) = try vault.newestSessionFrames()
        guard !hashes.isEmpty else { throw DeviceFailure("the session has no frame") }
        let ocr = try TextRecognition()
        let picks = Set(stride(from: 0, to: hashes.count, by: max(1, hashes.count / frames)).prefix(frames))
        var fullMs: [Double] = []
        for (index, hash) in hashes.enumerated() where picks.contains(index) {
            guard let (segment, manifest) = try vault.frame(session: session.id, hash: hash), manifest.withheld == nil else { continue }
            let pixels = try vault.pixels(of: manifest, segment: segment)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try pixels.withUnsafeBytes { try ocr.lines(in: $0, width: manifest.width, height: manifest.height, stride: manifest.width * 4) }
            fullMs.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print(
            JSONValue.object([
                ("frames", .int(Int64(fullMs.count))),
                ("full_frame_ms_median", .double(fullMs.isEmpty ? 0 : fullMs.sorted()[fullMs.count / 2])),
            ]).serialized)
    }
}
