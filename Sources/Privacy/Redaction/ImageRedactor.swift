import Foundation
import UnderstudyModel

/// Finds personal data and secrets in pixels: OCR reads the lines of text in a region, the
/// text recognizers run on each line, and the boxes of the words a finding touches are filled.
public struct ImageRedactor: Sendable {
    /// One filled box, for the frame's record (and exports later).
    public struct Box: Sendable, Equatable {
        public var what: RedactionKind
        /// x, y, width, height in pixels.
        public var box: [Int]
    }

    /// Fill for redacted boxes (opaque black), distinct from the window-mask grey.
    public static let fill: UInt32 = 0xFF00_0000

    private let text: TextRedactor

    public init(kinds: Set<RedactionKind> = Set(RedactionKind.allCases)) {
        text = TextRedactor(kinds: kinds)
    }

    /// The boxes to fill in a region (the whole image when nil).
    public func boxes(in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
                      region: (x: Int, y: Int, w: Int, h: Int)? = nil, ocr: TextRecognition) -> (boxes: [Box], lines: [[TextRecognition.Word]]) {
        let lines = ocr.lines(in: pixels, width: width, height: height, stride: stride, region: region)
        var boxes: [Box] = []
        for line in lines {
            // The line as text, remembering where each word starts (in Unicode scalars).
            var joined = ""
            var starts: [Int] = []
            for word in line {
                if !joined.isEmpty { joined += " " }
                starts.append(joined.unicodeScalars.count)
                joined += Self.undoOCRConfusions(word.text)
            }
            for span in text.spans(in: joined) {
                let touched = line.indices.filter { i in
                    let start = starts[i], end = start + line[i].text.unicodeScalars.count
                    return start < span.end && end > span.start
                }
                guard !touched.isEmpty else { continue }
                let x0 = touched.map { line[$0].box[0] }.min()!, y0 = touched.map { line[$0].box[1] }.min()!
                let x1 = touched.map { line[$0].box[0] + line[$0].box[2] }.max()!, y1 = touched.map { line[$0].box[1] + line[$0].box[3] }.max()!
                // A little margin: OCR boxes hug the ink, and anti-aliased edges must go too.
                let pad = 2
                let box = [max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad) - max(0, x0 - pad), min(height, y1 + pad) - max(0, y0 - pad)]
                boxes.append(Box(what: span.what, box: box))
            }
        }
        return (boxes, lines)
    }

    /// OCR of small screen fonts reads the dots of an address as commas (`jane,doe@example,org`):
    /// in a word with an `@`, a comma between letters or digits is read as the dot it was. One
    /// character for one, so offsets still match the words.
    static func undoOCRConfusions(_ word: String) -> String {
        guard word.contains("@") else { return word }
        let chars = Array(word)
        return String(chars.indices.map { i in
            chars[i] == "," && i > 0 && i + 1 < chars.count && chars[i - 1].isLetter && chars[i + 1].isLetter ? "." : chars[i]
        })
    }

    /// Fills boxes in a 4-byte-per-pixel image.
    public static func fill(_ boxes: [Box], in pixels: UnsafeMutableRawBufferPointer, stride: Int) {
        for box in boxes {
            for y in box.box[1]..<(box.box[1] + box.box[3]) {
                let row = (pixels.baseAddress! + y * stride + box.box[0] * 4).assumingMemoryBound(to: UInt32.self)
                row.update(repeating: fill, count: box.box[2])
            }
        }
    }
}
