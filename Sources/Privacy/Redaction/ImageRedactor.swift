import Foundation
import Synchronization
import UnderstudyModel

/// Finds personal data and secrets in pixels: OCR reads the lines of text in a region, the
/// text recognizers run on each line, and the boxes of the words a finding touches are filled.
public struct ImageRedactor: Sendable {
    private let text: TextRedactor

    public init(kinds: Set<RedactionKind> = Set(RedactionKind.allCases)) {
        text = TextRedactor(kinds: kinds)
    }

    /// The boxes to fill in a region (the whole image when nil).
    public func boxes(in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
                      region: (x: Int, y: Int, w: Int, h: Int)? = nil, ocr: TextRecognition) throws(TextRecognition.Failure)
        -> (boxes: [FrameRedaction], lines: [[TextRecognition.Word]]) {
        let lines = try ocr.lines(in: pixels, width: width, height: height, stride: stride, region: region)
        var boxes: [FrameRedaction] = []
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
                boxes.append(FrameRedaction(what: span.what, box: box))
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
}

/// OCR and the text recognizers as capture's ``FrameTextScanner``. Tesseract starts on the
/// first frame; when it cannot start, every frame fails, so none is stored unchecked.
public final class ScreenTextScanner: FrameTextScanner {
    private let redactor: ImageRedactor
    private let engine: Mutex<TextRecognition?>
    /// Why Tesseract could not start, when it could not (it is tried again on each frame).
    public let startupProblem: String?

    public init(kinds: Set<RedactionKind>) {
        redactor = ImageRedactor(kinds: kinds)
        do {
            engine = Mutex(try TextRecognition())
            startupProblem = nil
        } catch {
            engine = Mutex(nil)
            startupProblem = error.description
        }
    }

    public func redactions(in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
                           region: (x: Int, y: Int, w: Int, h: Int)) throws -> [FrameRedaction] {
        try engine.withLock { engine throws(TextRecognition.Failure) in
            if engine == nil { engine = try TextRecognition() }
            return try redactor.boxes(in: pixels, width: width, height: height, stride: stride, region: region, ocr: engine!).boxes
        }
    }
}
