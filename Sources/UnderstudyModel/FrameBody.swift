import Foundation

/// A frame layout as a segment seals it and a bundle carries it (`frames/N.frame`): one JSON
/// line of its fields, then its tile hashes.
public enum FrameBody {
    public static func encode(_ frame: FrameManifest) -> Data {
        let header: JSONValue = .object([
            ("hash", .string(frame.hash)), ("width", .int(Int64(frame.width))), ("height", .int(Int64(frame.height))),
            ("tile_size", .int(Int64(frame.tileSize))), ("grabbed_ns", .int(Int64(clamping: frame.grabbedNs))),
            ("reason", .string(frame.reason.rawValue)),
            ("redactions", .array(frame.redactions.map(\.json))),
            ("withheld", frame.withheld.map { .string($0.description) } ?? .null),
        ])
        return Data((header.serialized + "\n").utf8) + frame.tileBytes
    }

    /// The layout, or nil when it does not read or does not describe a frame (``FrameManifest/problem``).
    public static func decode(_ data: Data) -> FrameManifest? {
        guard let newline = data.firstIndex(of: 0x0A),
            let header = try? JSONValue.parse(data[data.startIndex..<newline]),
            let hash = header["hash"]?.stringValue, let width = header["width"]?.intValue, let height = header["height"]?.intValue,
            let tileSize = header["tile_size"]?.intValue, let grabbed = header["grabbed_ns"]?.intValue,
            let reason = header["reason"]?.stringValue.flatMap(FrameReason.init(rawValue:))
        else { return nil }
        // Frames stored before redaction boxes were recorded have neither field.
        let redactions =
            header["redactions"]?.arrayValue?.compactMap { item -> FrameRedaction? in
                guard let what = item["what"]?.stringValue.flatMap(RedactionKind.init(rawValue:)),
                    let box = item["box"]?.arrayValue?.compactMap(\.intValue), box.count == 4
                else { return nil }
                return FrameRedaction(what: what, box: box.map { Int($0) })
            } ?? []
        let frame = FrameManifest(
            hash: hash, width: Int(width), height: Int(height), tileSize: Int(tileSize), grabbedNs: UInt64(max(0, grabbed)),
            reason: reason, tiles: FrameManifest.tiles(from: Data(data[(newline + 1)...])),
            redactions: redactions, withheld: header["withheld"]?.stringValue.flatMap(FrameWithholding.init))
        return frame.problem == nil ? frame : nil
    }
}
