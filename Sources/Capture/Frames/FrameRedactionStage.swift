import Foundation
import UnderstudyModel

/// Rows of a grabbed frame copied for OCR, taken on the capture thread while the grab is at hand.
///
/// What is read is what changed since the last stored frame: for each run of tile rows with a
/// changed tile, a band the full width of the screen (a line of text, or a token being typed,
/// may run far to either side of the tile that changed) and ``margin`` pixels taller on each
/// side (so a line crossing a tile edge is read whole). The band is read window by window
/// (the visible part of each window in it that has a changed tile), since OCR joins text of
/// windows side by side into one garbled line. Around each band, whole tile rows are copied, so every tile a box may
/// reach can be cut out again and filled.
struct ScanArea: Sendable {
    struct Band: Sendable {
        /// The first frame row of `pixels`; rows are full width, stride `width * 4`.
        var top: Int
        var rows: Int
        var pixels: [UInt8]
        /// The parts to read, in frame coordinates.
        var reads: [PixelRect]
    }

    var bands: [Band]
    /// The X damage since the last stored frame, when it accounts for every change (nil: the
    /// changed tiles are read whole).
    var damage: [PixelRect]?

    /// Pixels above and below the changed tile rows that are read too.
    static let margin = 24
    /// Pixels above and below damage that are read too. Damage covers whole glyph cells, so
    /// this only catches anti-aliased edges: every extra line read, even in part, costs OCR
    /// time (which grows with the text read, not the area), and 8 pixels here instead of 2 made
    /// reading a typing frame 2.4x dearer.
    static let damageMargin = 2
    /// Damage thinner than this (a cursor bar, an underline) is read this tall, so the line it
    /// is on is read whole.
    static let minimumDamageRows = 16

    /// The bands over the changed tiles (`changed`: tile indexes, row-major) of a grab, read
    /// in the parts that fall in `windows` (the whole band when none is known) and, when the
    /// `damage` since the last stored frame is known, only in the rows near it: one typed
    /// character damages one line of text, not the 128 rows of its tiles.
    init(changed: [Int], damage: [PixelRect]?, of slot: ScreenGrabber.Slot, width: Int, height: Int, tileSize: Int, windows: [PixelRect]) {
        self.damage = damage
        let columns = (width + tileSize - 1) / tileSize
        let lastRow = (height - 1) / tileSize
        var runs: [(first: Int, last: Int)] = []
        for row in Set(changed.map { $0 / columns }).sorted() {
            // Runs whose copies would touch are read as one band.
            if let run = runs.last, row - run.last <= 3 { runs[runs.count - 1].last = row } else { runs.append((row, row)) }
        }
        bands = runs.map { run in
            let readTop = max(0, run.first * tileSize - Self.margin)
            let readBottom = min(height, (run.last + 1) * tileSize + Self.margin)
            let firstRow = readTop / tileSize
            let endRow = min(lastRow, (readBottom - 1) / tileSize) + 1
            let top = firstRow * tileSize
            let rows = min(height, endRow * tileSize) - top
            var pixels = [UInt8](repeating: 0, count: rows * width * 4)
            pixels.withUnsafeMutableBytes { out in
                for line in 0..<rows {
                    (out.baseAddress! + line * width * 4).copyMemory(
                        from: UnsafeRawPointer(slot.pixels) + (top + line) * slot.stride, byteCount: width * 4)
                }
            }
            let band = PixelRect(x: 0, y: readTop, w: width, h: readBottom - readTop)
            let changedRects = changed.filter { (run.first...run.last).contains($0 / columns) }.map { index in
                let r = FrameManifest.tileRect(index, width: width, height: height, tileSize: tileSize)
                return PixelRect(x: r.x, y: r.y, w: r.w, h: r.h)
            }
            // A window with nothing changed in the band was read when it last changed; slivers
            // too small to hold a line of text are not worth an OCR call.
            let parts = windows.compactMap { $0.intersection(band) }
                .filter { part in part.w >= 8 && part.h >= 8 && changedRects.contains { part.intersection($0) != nil } }
            let reads = windows.isEmpty ? [band] : parts
            return Band(top: top, rows: rows, pixels: pixels, reads: damage.map { Self.nearDamage(reads, $0) } ?? reads)
        }
    }

    /// Each part cut to the rows within ``damageMargin`` of damage in it (a part with no damage in it
    /// is read whole: the damage does not explain its change).
    static func nearDamage(_ parts: [PixelRect], _ damage: [PixelRect]) -> [PixelRect] {
        parts.flatMap { part -> [PixelRect] in
            let spans = damage.compactMap { $0.intersection(part) }.map { rect -> (Int, Int) in
                let grow = max(damageMargin, (minimumDamageRows - rect.h + 1) / 2)
                return (rect.y - grow, rect.y + rect.h + grow)
            }.sorted { $0.0 < $1.0 }
            guard !spans.isEmpty else { return [part] }
            var merged: [(Int, Int)] = []
            for span in spans {
                if let last = merged.last, span.0 <= last.1 { merged[merged.count - 1].1 = max(last.1, span.1) } else { merged.append(span) }
            }
            return merged.compactMap { part.intersection(PixelRect(x: part.x, y: $0.0, w: part.w, h: $0.1 - $0.0)) }
        }
    }

    /// The share of the frame's pixels that is read.
    func readShare(width: Int, height: Int) -> Double {
        Double(bands.reduce(0) { $0 + $1.reads.reduce(0) { $0 + $1.w * $1.h } }) / Double(max(1, width * height))
    }
}

/// Fills the personal data and secrets OCR finds in a stored frame, before it is encoded.
///
/// Runs on the output queue, one frame at a time, in capture order. It reads the frame's
/// ``ScanArea`` with the scanner and fills the boxes found. A box may reach into tiles that did
/// not change, so every tile a box hides something in gets a filled *variant* with its own hash, and from
/// then on that tile's content is replaced by its variant in every frame of the session — also
/// after a keyframe, when only changed tiles are read again.
///
/// Frames already stored are not filled again: a tile stored before its value was whole stays
/// as it was. What keeps a value typed a character at a time out of them is the scanner, which
/// fills the beginnings of values too (`TextRecognizers.beginnings` in Privacy): such a tile
/// shows no more than names no one — six digits of a card, an address up to its `@`.
///
/// A frame is withheld (its layout kept, no pixels) when it shows a kind the policy drops
/// frames for, or when OCR fails on it: frames are never stored unchecked. A withheld frame's
/// new tiles were never stored, so later frames are withheld too until the keyframe capture
/// is then asked for; after an OCR failure the next frame is read whole.
final class FrameRedactionStage {
    enum Outcome {
        case store(FrameManifest, TileStrip)
        case withhold(FrameManifest, rescan: Bool)
    }

    private struct Variant {
        var hash: TileHash
        /// Boxes in the tile's own coordinates.
        var boxes: [FrameRedaction]
    }

    private let scanner: any FrameTextScanner
    private let dropFrames: Set<RedactionKind>
    private var variants: [TileHash: Variant] = [:]
    /// Variant tiles stored since the last keyframe.
    private var emitted: Set<TileHash> = []
    private var awaitingKeyframe = false
    /// The boxes of the last stored frame, in frame coordinates.
    private var onScreen: [FrameRedaction] = []

    init(scanner: any FrameTextScanner, dropFrames: Set<RedactionKind>) {
        self.scanner = scanner
        self.dropFrames = dropFrames
    }

    func process(_ job: FrameJob) -> Outcome {
        var frame = job.manifest
        if job.keyframe {
            emitted.removeAll(keepingCapacity: true)
            awaitingKeyframe = false
        }
        guard !awaitingKeyframe else { return withhold(frame, .followsWithheld) }
        var fresh: [TileHash: [UInt8]] = [:]
        if let area = job.scan {
            do {
                fresh = try scan(area, frame: frame)
            } catch {
                return withhold(frame, .unreadable, rescan: true)
            }
        }
        var redactions: [FrameRedaction] = []
        var uses: Set<TileHash> = []
        for index in frame.tiles.indices {
            guard let variant = variants[frame.tiles[index]] else { continue }
            if let dropped = variant.boxes.first(where: { dropFrames.contains($0.what) }) {
                return withhold(frame, .showed(dropped.what))
            }
            frame.tiles[index] = variant.hash
            uses.insert(variant.hash)
            let rect = frame.tileRect(index)
            redactions += variant.boxes.compactMap { $0.shifted(dx: rect.x, dy: rect.y, clippedTo: rect) }
        }
        frame.redactions = FrameRedaction.merged(redactions)
        guard let strip = output(job, uses: uses, fresh: fresh) else { return withhold(frame, .followsWithheld) }
        onScreen = frame.redactions
        return .store(frame, strip)
    }

    /// Reads each band, fills what is found, and makes the variants of the tiles it touched.
    /// Returns the pixels of variants made now, by variant hash.
    private func scan(_ area: ScanArea, frame: FrameManifest) throws -> [TileHash: [UInt8]] {
        var fresh: [TileHash: [UInt8]] = [:]
        let width = frame.width
        let size = frame.tileSize
        let carried = carriedBoxes(area)
        for band in area.bands {
            let read = try band.pixels.withUnsafeBytes { raw in
                try band.reads.flatMap { read in
                    try scanner.redactions(
                        in: raw, width: width, height: band.rows, stride: width * 4,
                        region: (read.x, read.y - band.top, read.w, read.h))
                }
            }
            let found = read + carried.compactMap { $0.shifted(dx: 0, dy: -band.top, clippedTo: (0, 0, width, band.rows)) }
            for (index, local) in pieces(of: found, in: band, frame: frame).sorted(by: { $0.key < $1.key }) {
                let raw = frame.tiles[index]
                let rect = frame.tileRect(index)
                var variant = variants[raw] ?? Variant(hash: raw, boxes: [])
                variant.boxes = Array(Set(variant.boxes + local))
                var buffer = [UInt8](repeating: 0, count: size * size * 4)
                band.pixels.withUnsafeBytes { raw in
                    TileCut.copy(
                        from: raw.baseAddress! + (rect.y - band.top) * width * 4 + rect.x * 4, stride: width * 4,
                        w: rect.w, h: rect.h, size: size, into: &buffer)
                }
                // Boxes found for this content in earlier frames are filled too.
                buffer.withUnsafeMutableBytes {
                    FrameRedaction.fill(variant.boxes, in: $0.baseAddress!, width: rect.w, height: rect.h, stride: size * 4)
                }
                variant.hash = TileCut.hash(buffer)
                variants[raw] = variant
                fresh[variant.hash] = buffer
            }
        }
        return fresh
    }

    /// The tiles to store: new tiles (filled where their content has a variant) and the
    /// variants the frame uses that were not stored since the keyframe. Nil when such a
    /// variant's pixels are not at hand.
    private func output(_ job: FrameJob, uses: Set<TileHash>, fresh: [TileHash: [UInt8]]) -> TileStrip? {
        let size = job.strip.tileSize
        let tileBytes = size * size * 4
        var strip = TileStrip(tiles: [], pixels: [], tileSize: size)
        for (i, raw) in job.strip.tiles.enumerated() {
            let range = (i * tileBytes)..<((i + 1) * tileBytes)
            guard let variant = variants[raw] else {
                strip.tiles.append(raw)
                strip.pixels += job.strip.pixels[range]
                continue
            }
            guard emitted.insert(variant.hash).inserted else { continue }
            var pixels = Array(job.strip.pixels[range])
            pixels.withUnsafeMutableBytes { FrameRedaction.fill(variant.boxes, in: $0.baseAddress!, width: size, height: size, stride: size * 4) }
            strip.append(variant.hash, pixels)
        }
        for hash in uses where !emitted.contains(hash) {
            guard let pixels = fresh[hash] else { return nil }
            emitted.insert(hash)
            strip.append(hash, pixels)
        }
        return strip
    }

    /// Boxes of the last stored frame that still cover a value: a changed tile around them (new
    /// content elsewhere in it) must be filled there too, though only damaged rows are read
    /// again. A box inside the damage is dropped (what it covered was redrawn, and is read
    /// again); one that damage only grazes is kept, so a miss on re-reading leaks nothing.
    /// Nil damage means everything changed is read whole.
    private func carriedBoxes(_ area: ScanArea) -> [FrameRedaction] {
        guard let damage = area.damage else { return [] }
        let margin = ScanArea.damageMargin
        return onScreen.filter { box in
            let rect = PixelRect(x: box.box[0], y: box.box[1], w: box.box[2], h: box.box[3])
            return !damage.contains { d in
                PixelRect(x: d.x - margin, y: d.y - margin, w: d.w + 2 * margin, h: d.h + 2 * margin).intersection(rect) == rect
            }
        }
    }

    private func withhold(_ frame: FrameManifest, _ reason: FrameWithholding, rescan: Bool = false) -> Outcome {
        awaitingKeyframe = true
        onScreen = []
        var frame = frame
        frame.tiles = []
        frame.redactions = []
        frame.withheld = reason
        return .withhold(frame, rescan: rescan)
    }

    /// The boxes (in band coordinates) cut at tile edges, in each tile's own coordinates, by tile
    /// index. A piece that hides nothing is left out: one over pixels all of one colour that is
    /// a box's margin (at most ``marginReach`` thick) or lies in a tile of one colour. Kept, it
    /// would give the tile a filled variant, and every tile of the session with the same pixels
    /// (the blank ones all hash alike) would show the stripe.
    private func pieces(of boxes: [FrameRedaction], in band: ScanArea.Band, frame: FrameManifest) -> [Int: [FrameRedaction]] {
        var pieces: [Int: Set<FrameRedaction>] = [:]
        let stride = frame.width * 4
        band.pixels.withUnsafeBytes { pixels in
            for box in boxes {
                for index in tiles(under: box, bandTop: band.top, frame: frame) {
                    let rect = frame.tileRect(index)
                    guard let local = box.shifted(dx: -rect.x, dy: band.top - rect.y, clippedTo: (0, 0, rect.w, rect.h)) else { continue }
                    let piece = PixelRect(x: rect.x + local.box[0], y: rect.y - band.top + local.box[1], w: local.box[2], h: local.box[3])
                    if Self.isOneColour(piece, of: pixels, stride: stride) {
                        let margin = piece.h <= Self.marginReach || piece.w <= Self.marginReach
                        let tile = PixelRect(x: rect.x, y: rect.y - band.top, w: rect.w, h: rect.h)
                        if margin || Self.isOneColour(tile, of: pixels, stride: stride) { continue }
                    }
                    pieces[index, default: []].insert(local)
                }
            }
        }
        return pieces.mapValues(Array.init)
    }

    /// How far past its text a box reaches: the recognizer's 2-pixel margin, and OCR boxes sitting a
    /// pixel or two off the ink.
    static let marginReach = 4

    /// Whether every pixel of `rect` has the same colour (the fourth byte, unused by X, aside).
    static func isOneColour(_ rect: PixelRect, of pixels: UnsafeRawBufferPointer, stride: Int) -> Bool {
        let colour = pixels.loadUnaligned(fromByteOffset: rect.y * stride + rect.x * 4, as: UInt32.self) & 0x00FF_FFFF
        for y in rect.y..<(rect.y + rect.h) {
            for x in rect.x..<(rect.x + rect.w)
            where pixels.loadUnaligned(fromByteOffset: y * stride + x * 4, as: UInt32.self) & 0x00FF_FFFF != colour {
                return false
            }
        }
        return true
    }

    /// Indexes of the tiles a box (in band coordinates) overlaps.
    private func tiles(under box: FrameRedaction, bandTop: Int, frame: FrameManifest) -> [Int] {
        let x0 = max(0, box.box[0])
        let x1 = min(frame.width, box.box[0] + box.box[2])
        let y0 = max(0, box.box[1] + bandTop)
        let y1 = min(frame.height, box.box[1] + bandTop + box.box[3])
        guard x1 > x0, y1 > y0 else { return [] }
        let size = frame.tileSize
        return ((y0 / size)...((y1 - 1) / size)).flatMap { row in ((x0 / size)...((x1 - 1) / size)).map { row * frame.columns + $0 } }
    }
}
