import Foundation

/// A segment bundle (the vault's `SegmentBundle` writes them) read back: what a collector's
/// reviewers and scientists receive, turned into the session, events and frames it holds.
/// Here beside ``SegmentBundleCheck`` because the bundle is a wire format: the device writes
/// it, and the collector's console reads it as the device's review tools do.
public struct SegmentBundleContents: Sendable {
    /// Why a file is not a readable bundle.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ what: String) { description = "damaged: \(what)" }
    }

    public var segmentID: String
    /// The segment's place in its session.
    public var index: Int
    /// The session it belongs to (monitor layout is not in bundles: only the screen size).
    public var session: Session
    public var events: [Event]
    public var frames: [FrameManifest]
    /// Which patch holds each tile, and where in it.
    private var tiles: [TileHash: (patch: Int, index: Int)] = [:]
    private var patches: [Int: (codec: TileCodec, data: Data, tiles: Int)] = [:]

    /// Reads a bundle; a damaged or foreign file gets one error naming what is wrong.
    public init(tar: Data) throws(Failure) {
        guard let members = TarFormat.members(of: tar) else { throw Failure("the bundle is not a tar file") }
        var byName: [String: Data] = [:]
        for member in members { byName[member.name] = member.data }
        guard let json = byName["segment.json"].flatMap({ try? JSONValue.parse($0) }) else {
            throw Failure("the bundle has no readable segment.json")
        }
        // Its checks keep both ids to what a device or the collector writes: they reach file names, pages and terminals.
        let header: SegmentBundleHeader
        do { header = try SegmentBundleHeader(json: json) } catch { throw Failure("the bundle's \(error)") }
        let (id, session) = (header.id, header.session.session)
        segmentID = id
        index = header.index
        self.session = session
        do {
            // Split at the newline byte, as the upload check does: a String would keep "\r\n" whole.
            events = try (byName["events.jsonl"] ?? Data()).split(separator: 0x0A).map { try Event(json: try JSONValue.parse(Data($0))) }
        } catch {
            throw Failure("an event of segment \(id) does not read: \(error)")
        }
        frames = []
        for (name, data) in byName.sorted(by: { $0.key < $1.key }) where name.hasPrefix("frames/") {
            guard let frame = FrameBody.decode(data) else { throw Failure("\(name) of segment \(id) does not read") }
            frames.append(frame)
        }
        for (name, data) in byName where name.hasPrefix("patches/") && name.hasSuffix(".json") {
            let stem = String(name.dropFirst("patches/".count).dropLast(".json".count))
            guard let patch = Int(stem), let json = try? JSONValue.parse(data), let layout = try? TilePatchLayout(json: json),
                let pixels = byName["patches/\(stem).\(layout.codec.rawValue)"]
            else { throw Failure("tile patch \(name) of segment \(id) does not read") }
            patches[patch] = (layout.codec, pixels, layout.tiles.count)
            for (position, tile) in layout.tiles.enumerated() {
                if let tile { tiles[tile] = (patch, position) }
            }
        }
    }

    /// The same contents without the tile pixels (which are most of a bundle's bytes), for
    /// holding many bundles at once; ``tilePatch(_:)`` then finds nothing.
    public func withoutPixels() -> SegmentBundleContents {
        var copy = self
        copy.patches = [:]
        return copy
    }

    /// Where a tile's pixels are: its patch (named uniquely within this bundle), codec, bytes,
    /// the tile's index in the patch, and how many tiles the patch's strip holds.
    public func tilePatch(_ tile: TileHash) -> (patch: String, codec: TileCodec, data: Data, index: Int, tiles: Int)? {
        guard let place = tiles[tile], let patch = patches[place.patch] else { return nil }
        return ("\(segmentID)/\(place.patch)", patch.codec, patch.data, place.index, patch.tiles)
    }
}
