import CZlib
import Foundation
import UnderstudyModel

/// What a segment seals of its events and frame layouts: their text (JSON lines; a layout's
/// JSON line and tile hashes), deflated.
///
/// Events and layouts are most of what a vault stores in an hour: pointer moves and keys are
/// short JSON lines that repeat their field names, and a layout repeats the hash of every blank
/// tile. They compress several times over, which encryption would make impossible afterwards.
/// So the text is deflated first, behind a marker byte and its length; sealed text that starts
/// with `{` is from before and is as it was written.
enum SealedText {
    /// The marker of deflated text (JSON lines and layouts start with `{`).
    private static let deflated: UInt8 = 0x01
    /// More than any chunk or layout holds (a flush is a quarter of a second of events): larger is
    /// refused, not allocated.
    static let largest = 64 << 20

    /// The text, deflated, to be sealed.
    static func packed(_ text: Data) -> Data {
        var bound = compressBound(uLong(text.count))
        var out = [UInt8](repeating: 0, count: 5 + Int(bound))
        let status = text.withUnsafeBytes { source in
            out.withUnsafeMutableBufferPointer { target in
                compress2(
                    target.baseAddress! + 5, &bound, source.bindMemory(to: Bytef.self).baseAddress, uLong(text.count), Z_BEST_SPEED)
            }
        }
        // Deflating into compressBound's room cannot fail but for want of memory: the text is kept as it is.
        guard status == Z_OK else { return text }
        out[0] = deflated
        withUnsafeBytes(of: UInt32(text.count).littleEndian) { out.replaceSubrange(1..<5, with: $0) }
        return Data(out[0..<(5 + Int(bound))])
    }

    /// The text of what was opened; nil when it does not inflate to the length it gives.
    static func unpacked(_ plain: Data) -> Data? {
        guard let first = plain.first, first == deflated else { return plain }
        guard plain.count >= 5 else { return nil }
        let length = plain.dropFirst().prefix(4).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= largest else { return nil }
        guard length > 0 else { return Data() }
        var out = [UInt8](repeating: 0, count: length)
        var size = uLong(length)
        let body = plain.dropFirst(5)
        let status = body.withUnsafeBytes { source in
            out.withUnsafeMutableBufferPointer { target in
                uncompress(target.baseAddress, &size, source.bindMemory(to: Bytef.self).baseAddress, uLong(body.count))
            }
        }
        guard status == Z_OK, Int(size) == length else { return nil }
        return Data(out)
    }
}

extension SegmentKeys {
    /// Events `first...last` of a session, as JSON lines, deflated and sealed under their session and seq range.
    func sealEvents(_ lines: String, session: String, first: Int64, last: Int64, nonces: inout NonceSequence) throws -> Data {
        try seal(SealedText.packed(Data(lines.utf8)), context: OpenSegment.eventsContext(session: session, first: first, last: last), nonces: &nonces)
    }

    /// A frame layout, deflated and sealed under its segment and key.
    func sealFrame(_ frame: FrameManifest, segment: String, key: Data, nonces: inout NonceSequence) throws -> Data {
        try seal(SealedText.packed(FrameBody.encode(frame)), context: OpenSegment.frameContext(segment: segment, key: key), nonces: &nonces)
    }

    /// The frame layout of a sealed body; nil when it does not open, inflate or read.
    func openFrame(_ body: Data, segment: String, key: Data) -> FrameManifest? {
        (try? open(body, context: OpenSegment.frameContext(segment: segment, key: key))).flatMap(SealedText.unpacked).flatMap(FrameBody.decode)
    }
}
