/// Cuts the words OCR read on one line back to that line.
///
/// Where the glyphs of two lines nearly touch (a terminal's descenders above its ascenders),
/// Tesseract sometimes takes the bottoms of the line above, or the tops of the line below, into a
/// word's box, and a box filled around that word blacks out half of the other line. What tells
/// them apart is a blank row: the ends of another line's glyphs are a band of ink of their own,
/// thinner than the line's text and outside the rows the line's words share (below, also running
/// on past the word on both sides). Ink joined to the word's own (a descender, an underscore's
/// row below a word) is never cut; what a cut can leave unfilled is at most the dot of an `i`
/// standing above a line of small letters.
enum LineBounds {
    /// How much thinner than the line's text a band must be to be another line's ends.
    static let thinShare = 0.6
    /// How far two pixels' colours differ (summed over the channels) for one to be ink on the other.
    static let inkContrast = 96

    /// The words of `line` with each box cut back to the line (x, y, w, h in the image's pixels).
    static func kept(_ line: [TextRecognition.Word], in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int)
        -> [TextRecognition.Word]
    {
        guard line.count > 1, let core = core(of: line) else { return line }
        let thin = Int(Double(core.bottom - core.top) * thinShare)
        return line.map { word in
            var word = word
            let (x, y, w, h) = (word.box[0], word.box[1], word.box[2], word.box[3])
            guard y < core.top || y + h > core.bottom, w > 0, h > 0, x >= 0, y >= 0, x + w <= width, y + h <= height else { return word }
            let background = backgroundColour(x: x, y: y, w: w, h: h, pixels: pixels, width: width, stride: stride)
            let inked = (y..<(y + h)).map { row in
                (x..<(x + w)).contains { differs(pixel(pixels, stride, $0, row), background) }
            }
            var top = 0
            var bottom = inked.count
            // Below the line, another line's tops run on past the word on both sides; an
            // underscore or a comma's tail of its own does not. (Above, the line above's ends may
            // be one descender: what else stands alone up there is an i's dot.)
            func runsPast(_ rows: Range<Int>) -> Bool {
                let reach = max(4, w / 2)
                return [max(0, x - reach)..<x, (x + w)..<min(width, x + w + reach)].allSatisfy { columns in
                    rows.contains { row in columns.contains { differs(pixel(pixels, stride, $0, row), background) } }
                }
            }
            // A band at the top, then a blank row, all above the line's own rows: the line above's.
            if let end = inked.firstIndex(of: false), end > 0, end <= thin, y + end <= core.top,
                let next = inked[end...].firstIndex(of: true)
            {
                top = next
            }
            if let start = inked.lastIndex(of: false).map({ $0 + 1 }), start < inked.count, inked.count - start <= thin,
                y + start >= core.bottom, let last = inked[..<start].lastIndex(of: true), last >= top,
                runsPast((y + start)..<(y + h))
            {
                bottom = last + 1
            }
            word.box = [x, y + top, w, bottom - top]
            return word
        }
    }

    /// The rows of a box (x, y, w, h) with ink in its columns, as runs of rows between blank ones.
    static func inkBands(of box: [Int], in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> [Range<Int>] {
        let x = max(0, box[0])
        let w = min(box[0] + box[2], width) - x
        let rows = max(0, box[1])..<min(height, box[1] + box[3])
        guard w > 0, !rows.isEmpty else { return [] }
        let background = backgroundColour(x: x, y: rows.lowerBound, w: w, h: rows.count, pixels: pixels, width: width, stride: stride)
        var bands: [Range<Int>] = []
        var start: Int?
        for row in rows {
            let ink = (x..<(x + w)).contains { differs(pixel(pixels, stride, $0, row), background) }
            if ink, start == nil { start = row }
            if !ink, let first = start {
                bands.append(first..<row)
                start = nil
            }
        }
        if let first = start { bands.append(first..<rows.upperBound) }
        return bands
    }

    /// The rows the line's words share: the median of their tops and of their bottoms (one word
    /// that OCR ran into another line moves neither).
    static func core(of line: [TextRecognition.Word]) -> (top: Int, bottom: Int)? {
        guard !line.isEmpty else { return nil }
        return (median(line.map { $0.box[1] }), median(line.map { $0.box[1] + $0.box[3] }))
    }

    private static func median(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }

    private static func pixel(_ pixels: UnsafeRawBufferPointer, _ stride: Int, _ x: Int, _ y: Int) -> UInt32 {
        pixels.loadUnaligned(fromByteOffset: y * stride + x * 4, as: UInt32.self) & 0x00FF_FFFF
    }

    private static func differs(_ a: UInt32, _ b: UInt32) -> Bool {
        var sum = 0
        for shift: UInt32 in [0, 8, 16] {
            let channelA = Int((a >> shift) & 0xFF)
            let channelB = Int((b >> shift) & 0xFF)
            sum += abs(channelA - channelB)
        }
        return sum >= inkContrast
    }

    /// The commonest colour of the columns just outside the box: the gaps between words.
    private static func backgroundColour(
        x: Int, y: Int, w: Int, h: Int, pixels: UnsafeRawBufferPointer, width: Int, stride: Int
    ) -> UInt32 {
        var counts: [UInt32: Int] = [:]
        for column in [x - 1, x + w] where column >= 0 && column < width {
            for row in y..<(y + h) { counts[pixel(pixels, stride, column, row), default: 0] += 1 }
        }
        return counts.max { $0.value < $1.value }?.key ?? pixel(pixels, stride, x, y)
    }
}
