import Capture
import Foundation
import TestSupport
import UnderstudyModel

/// The frames a recording stored, decrypted and assembled, to check what pixels reached the vault.
struct StoredFrame {
    var tNs: UInt64
    var hash: String
    var width: Int
    var pixels: [UInt8]
    /// Where the recorder filled it, and what was there.
    var redactions: [FrameRedaction]

    /// How many pixels of `rect` (x, y, w, h) hold the recorder's mask fill.
    func filled(_ rect: [Int]) -> Int {
        var count = 0
        for y in rect[1]..<(rect[1] + rect[3]) {
            for x in rect[0]..<(rect[0] + rect[2]) {
                let i = (y * width + x) * 4
                if pixels[i] == 0x30, pixels[i + 1] == 0x30, pixels[i + 2] == 0x30 { count += 1 }
            }
        }
        return count
    }

    /// Every frame named by a `frame` event of `events`, in order.
    static func all(_ contributor: Contributor, _ vault: String, _ events: [Event]) throws -> [StoredFrame] {
        let opened = try contributor.openVault(vault)
        guard let session = try opened.sessions().first else { return [] }
        return try events.compactMap { event -> StoredFrame? in
            guard case .frame(let hash, _, _, _) = event.body, let (segment, manifest) = try opened.frame(session: session.id, hash: hash) else {
                return nil
            }
            let pixels = try FrameAssembler.pixels(of: manifest) { tile in
                try opened.tilePatch(segment: segment, tile: tile).map { found in
                    .init(patchID: found.patch, codec: found.codec, index: found.index) { found.data }
                }
            }
            return StoredFrame(tNs: event.tNs, hash: hash, width: manifest.width, pixels: pixels, redactions: manifest.redactions)
        }
    }
}

extension XSession {
    /// A window's rectangle (x, y, w, h) on the screen, from xwininfo's absolute position
    /// (xdotool's is off by the frame under a reparenting window manager).
    func geometry(of window: String) throws -> [Int] {
        let info = try output("xwininfo", "-id", window)
        func value(_ label: String) -> Int {
            info.split(separator: "\n").first { $0.contains(label) }.flatMap {
                Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
            } ?? 0
        }
        return [value("Absolute upper-left X"), value("Absolute upper-left Y"), value("Width"), value("Height")]
    }
}
