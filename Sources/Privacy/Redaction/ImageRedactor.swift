import Foundation
import Synchronization
import UnderstudyModel

/// Finds personal data and secrets in pixels: OCR reads the lines of text in a region, the
/// text recognizers run on each line, and the boxes of the words a finding touches are filled.
///
/// A screen may show a value half typed (`4111 1111 11`, `jane.doe@exa`), and a frame stored
/// then is not filled again when the value is whole, so the beginnings of values are found too
/// (``TextRecognizers/beginnings``).
public struct ImageRedactor: Sendable {
    private let text: TextRedactor

    /// - Parameter identity: the contributor's own identifiers, boxed too (``SelfIdentity``).
    public init(kinds: Set<RedactionKind> = Set(RedactionKind.allCases), identity: SelfIdentity = .none) {
        text = TextRedactor(kinds: kinds, beginnings: true, identity: identity)
    }

    /// The boxes to fill in a region (the whole image when nil).
    public func boxes(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)? = nil, ocr: TextRecognition
    ) throws(TextRecognition.Failure)
        -> (boxes: [FrameRedaction], lines: [[TextRecognition.Word]])
    {
        let lines = try ocr.lines(in: pixels, width: width, height: height, stride: stride, region: region)
        var boxes: [FrameRedaction] = []
        for read in lines {
            let line = LineBounds.kept(read, in: pixels, width: width, height: height, stride: stride)
            var found = self.boxes(in: line, width: width, height: height)
            // A line that looks like it should hold a value but gave none is read once more,
            // alone and larger: OCR misreads a character or two of small fonts (`AKIA?YY6…`).
            // Its rows are the ones its words share: a word run into the next line would make it
            // two lines, read as one, and every box found would cover both.
            if found.isEmpty, Self.mayHoldValue(line), let core = LineBounds.core(of: line) {
                let x0 = max(0, line.map { $0.box[0] }.min()! - 4)
                let y0 = max(0, core.top - 3)
                let x1 = min(width, line.map { $0.box[0] + $0.box[2] }.max()! + 4)
                let y1 = min(height, core.bottom + 3)
                for again in try ocr.line(in: pixels, width: width, height: height, stride: stride, region: (x0, y0, x1 - x0, y1 - y0), scale: 3) {
                    found += self.boxes(
                        in: LineBounds.kept(again, in: pixels, width: width, height: height, stride: stride), width: width, height: height)
                }
            }
            for box in found {
                boxes.append(try keptToItsLine(box, pixels: pixels, width: width, height: height, stride: stride, ocr: ocr))
            }
        }
        return (Array(Set(boxes)).sorted { ($0.box[1], $0.box[0]) < ($1.box[1], $1.box[0]) }, lines)
    }

    /// A box that reaches a whole other line (OCR ran a word into the next line, or read two
    /// lines as one) cut back to the lines that hold the value: a line of text at its top or
    /// bottom goes when, read alone, it shows no value. When none shows one alone, the value was
    /// found across them, and all stay filled.
    private func keptToItsLine(
        _ box: FrameRedaction, pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int, ocr: TextRecognition
    ) throws(TextRecognition.Failure) -> FrameRedaction {
        let bands = LineBounds.inkBands(of: box.box, in: pixels, width: width, height: height, stride: stride)
        guard let tallest = bands.map(\.count).max() else { return box }
        // A line of text: a band at least 60% as tall as the tallest (not a dot or a descender).
        let lines = bands.filter { $0.count * 10 >= tallest * 6 }
        guard lines.count > 1 else { return box }
        let (x, w) = (box.box[0], box.box[2])
        func showsNoValue(_ rows: Range<Int>) throws(TextRecognition.Failure) -> Bool {
            let y0 = max(0, rows.lowerBound - 2)
            let y1 = min(height, rows.upperBound + 2)
            let words = try ocr.line(in: pixels, width: width, height: height, stride: stride, region: (x, y0, w, y1 - y0), scale: 3).flatMap { $0 }
            return self.boxes(in: words, width: width, height: height).isEmpty && !Self.mayHoldValue(words)
        }
        var holding: [Range<Int>] = []
        for line in lines where try !showsNoValue(line) { holding.append(line) }
        guard let first = holding.first, let last = holding.last else { return box }
        // Down to the band after the last line cut above, up to the band before the first cut below.
        let pad = 2
        var top = box.box[1]
        var bottom = box.box[1] + box.box[3]
        if let cut = lines.last(where: { $0.upperBound <= first.lowerBound }), let next = bands.first(where: { $0.lowerBound >= cut.upperBound }) {
            top = max(cut.upperBound, next.lowerBound - pad)
        }
        if let cut = lines.first(where: { $0.lowerBound >= last.upperBound }), let previous = bands.last(where: { $0.upperBound <= cut.lowerBound }) {
            bottom = min(cut.lowerBound, previous.upperBound + pad)
        }
        return FrameRedaction(what: box.what, box: [x, top, w, bottom - top])
    }

    /// The boxes of the values found in one line of words.
    func boxes(in line: [TextRecognition.Word], width: Int, height: Int) -> [FrameRedaction] {
        var boxes: [FrameRedaction] = []
        // OCR splits tokens at punctuation (`postgresql ://admin: 7ed…@git .hooli.dev`): the
        // line is also read with words whose boxes nearly touch joined up again, and that
        // once more with look-alike characters read as their token suggests.
        let spaced = Joined(Self.text(of: line, joiningClose: false))
        let tight = Joined(Self.text(of: line, joiningClose: true))
        let lookalike = Joined((Self.lookalikes(tight.text), tight.starts))
        for reading in Set([spaced, tight, lookalike]) {
            for span in text.spans(in: reading.text) {
                let touched = line.indices.filter { i in
                    let start = reading.starts[i]
                    let end = start + line[i].text.unicodeScalars.count
                    return start < span.end && end > span.start
                }
                guard let first = touched.first, let last = touched.last else { continue }
                var words = touched.map { line[$0].box }
                // A value inside a longer word (`nino=HX996580C`, `passwd=…`): the box starts
                // or ends inside the word, a character early or late to be safe.
                let from = span.start - reading.starts[first]
                let to = span.end - reading.starts[last]
                if touched.count == 1 {
                    words[0] = Self.trim(line[first], from: from, to: to)
                } else {
                    words[0] = Self.trim(line[first], from: from, to: nil)
                    words[words.count - 1] = Self.trim(line[last], from: nil, to: to)
                }
                boxes.append(Self.box(around: words, what: span.what, width: width, height: height))
            }
        }
        return boxes
    }

    /// Whether a line shows a sign of a value: an `@`, a run of eight digits (spaces and dashes
    /// allowed), dotted or colon-separated groups like an address, a country code and check
    /// digits, a key id prefix, or a word like key, token, secret or password. Such a line with
    /// no finding is read a second time.
    static func mayHoldValue(_ line: [TextRecognition.Word]) -> Bool {
        let text = line.map(\.text).joined(separator: " ")
        return text.contains("@") || text.firstMatch(of: valueShape) != nil || text.firstMatch(of: valueWord) != nil
    }

    nonisolated(unsafe) private static let valueShape =
        #/\d[\d \-]{6,}\d|\d{1,3}[.,]\d{1,3}[.,]\d{1,3}|[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){3,}|\b[A-Z]{2}\d{2}|AKIA|ASIA/#
    nonisolated(unsafe) private static let valueWord =
        #/(?i)\b(api[_ ]?key|key|token|secret|passw\w*|pwd|bearer|iban|sk-|ghp_|glpat|xox[abp]|eyj)/#

    /// The part of a word's box from character `from` (or its start) to character `to` (or its
    /// end), one character wider on each cut side; characters are taken as equally wide.
    static func trim(_ word: TextRecognition.Word, from: Int?, to: Int?) -> [Int] {
        let count = max(1, word.text.unicodeScalars.count)
        let charWidth = Double(word.box[2]) / Double(count)
        let start = from.map { max(0, $0 - 1) } ?? 0
        let end = to.map { min(count, $0 + 1) } ?? count
        guard start < end else { return word.box }
        let x0 = word.box[0] + Int((Double(start) * charWidth).rounded(.down))
        let x1 = word.box[0] + Int((Double(end) * charWidth).rounded(.up))
        return [x0, word.box[1], min(x1, word.box[0] + word.box[2]) - x0, word.box[3]]
    }

    private struct Joined: Hashable {
        var text: String
        var starts: [Int]
        init(_ pair: (String, [Int])) { (text, starts) = pair }
    }

    /// A line's words as text, and where each word starts (in Unicode scalars). Words are
    /// separated by a space, or by nothing when `joiningClose` and the gap between their boxes
    /// is under 0.9 of a character: too narrow for the space a monospace screen font draws
    /// (a space plus the glyphs' own side bearings is more than a whole cell).
    static func text(of line: [TextRecognition.Word], joiningClose: Bool) -> (String, [Int]) {
        var joined = ""
        var starts: [Int] = []
        for (i, word) in line.enumerated() {
            if i > 0 {
                let before = line[i - 1]
                let charWidth = Double(before.box[2]) / Double(max(1, before.text.count))
                let gap = Double(word.box[0] - before.box[0] - before.box[2])
                if !(joiningClose && gap < charWidth * 0.9) { joined += " " }
            }
            starts.append(joined.unicodeScalars.count)
            joined += undoOCRConfusions(word.text)
        }
        return (joined, starts)
    }

    /// The box around some words' boxes, with a little margin: OCR boxes hug the ink, and
    /// anti-aliased edges must go too.
    private static func box(around words: [[Int]], what: RedactionKind, width: Int, height: Int) -> FrameRedaction {
        let pad = 2
        let x0 = max(0, words.map { $0[0] }.min()! - pad)
        let y0 = max(0, words.map { $0[1] }.min()! - pad)
        let x1 = min(width, words.map { $0[0] + $0[2] }.max()! + pad)
        let y1 = min(height, words.map { $0[1] + $0[3] }.max()! + pad)
        return FrameRedaction(what: what, box: [x0, y0, x1 - x0, y1 - y0])
    }

    /// `text` with look-alike characters read the way the run of letters and digits around
    /// them suggests: in a run of four or more, mostly digits, `O o D Q` are 0, `l I i |` are 1,
    /// `S s` 5, `B` 8, `Z z` 2, `G` 6; then, in a run of six or more mostly of capitals and
    /// digits, small letters are capitals (`Hx996580C` is a NINO). One scalar for one, so
    /// offsets hold.
    static func lookalikes(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        var start = 0
        while start < scalars.count {
            guard isAlphanumeric(scalars[start]) else {
                start += 1
                continue
            }
            var end = start
            while end < scalars.count, isAlphanumeric(scalars[end]) { end += 1 }
            let count = end - start
            func digits() -> Int { scalars[start..<end].count { ("0"..."9").contains($0) } }
            if count >= 4, digits() >= 2, Double(digits()) >= 0.6 * Double(count) {
                for i in start..<end { scalars[i] = digitLookalikes[scalars[i]] ?? scalars[i] }
            }
            let capitals = scalars[start..<end].count { ("A"..."Z").contains($0) }
            if count >= 6, Double(digits() + capitals) >= 0.7 * Double(count) {
                for i in start..<end where ("a"..."z").contains(scalars[i]) { scalars[i] = Unicode.Scalar(scalars[i].value - 32)! }
            }
            start = end
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    private static let digitLookalikes: [Unicode.Scalar: Unicode.Scalar] = [
        "O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "|": "1",
        "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6",
    ]

    private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(s) || ("A"..."Z").contains(s) || ("a"..."z").contains(s) || s == "|"
    }

    /// OCR of small screen fonts reads the dots of an address as commas (`jane,doe@example,org`):
    /// in a word with an `@`, a comma between letters or digits is read as the dot it was. One
    /// character for one, so offsets still match the words.
    static func undoOCRConfusions(_ word: String) -> String {
        guard word.contains("@") else { return word }
        let chars = Array(word)
        return String(
            chars.indices.map { i in
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

    public init(kinds: Set<RedactionKind>, identity: SelfIdentity = .none) {
        redactor = ImageRedactor(kinds: kinds, identity: identity)
        do {
            engine = Mutex(try TextRecognition())
            startupProblem = nil
        } catch {
            engine = Mutex(nil)
            startupProblem = error.description
        }
    }

    public func redactions(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)
    ) throws -> [FrameRedaction] {
        try engine.withLock { engine throws(TextRecognition.Failure) in
            if engine == nil { engine = try TextRecognition() }
            return try redactor.boxes(in: pixels, width: width, height: height, stride: stride, region: region, ocr: engine!).boxes
        }
    }
}
