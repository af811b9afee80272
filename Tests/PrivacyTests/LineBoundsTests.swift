import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

/// A white image with black rectangles (x, y, w, h) on it, 4 bytes a pixel.
private func image(_ width: Int, _ height: Int, ink: [[Int]]) -> [UInt8] {
    var pixels = [UInt8](repeating: 0xFF, count: width * height * 4)
    for r in ink {
        for y in r[1]..<(r[1] + r[3]) {
            for x in r[0]..<(r[0] + r[2]) { pixels.replaceSubrange((y * width + x) * 4..<((y * width + x) * 4 + 3), with: [0, 0, 0]) }
        }
    }
    return pixels
}

private func word(_ box: [Int]) -> TextRecognition.Word { TextRecognition.Word(text: "word", box: box, confidence: 90) }

@Suite("Boxes kept to their line")
struct LineBoundsTests {
    @Test("A word whose box took in the ends of the line above, across a blank row, is cut back to its own ink")
    func endsOfTheLineAboveCut() {
        // The line above's glyph bottoms: rows 0-1 across the width; a blank row; the line: rows 3-12.
        let pixels = image(120, 20, ink: [[0, 0, 120, 2], [10, 3, 20, 10], [40, 3, 30, 10], [80, 3, 20, 10]])
        let line = [word([10, 3, 20, 10]), word([40, 0, 30, 13]), word([80, 3, 20, 10])]
        let kept = pixels.withUnsafeBytes { LineBounds.kept(line, in: $0, width: 120, height: 20, stride: 480) }
        #expect(kept.map(\.box) == [[10, 3, 20, 10], [40, 3, 30, 10], [80, 3, 20, 10]])
    }

    @Test("A band below a word that stops at the word (an underscore of its own) is kept; one running on past it both ways is cut")
    func bandsBelow() {
        let own = image(120, 20, ink: [[10, 3, 20, 10], [40, 3, 30, 8], [40, 13, 30, 1], [80, 3, 20, 10]])
        let line = [word([10, 3, 20, 10]), word([40, 3, 30, 11]), word([80, 3, 20, 10])]
        #expect(own.withUnsafeBytes { LineBounds.kept(line, in: $0, width: 120, height: 20, stride: 480) }.map(\.box) == line.map(\.box))
        // The line below's tops: rows 15-16, all the way across.
        let other = image(120, 20, ink: [[10, 3, 20, 10], [40, 3, 30, 10], [80, 3, 20, 10], [0, 15, 120, 2]])
        let reaching = [word([10, 3, 20, 10]), word([40, 3, 30, 14]), word([80, 3, 20, 10])]
        #expect(other.withUnsafeBytes { LineBounds.kept(reaching, in: $0, width: 120, height: 20, stride: 480) }[1].box == [40, 3, 30, 10])
    }

    @Test("A box's rows of ink come as bands between blank rows, and a box reaching past the image's edges reads only what is in it")
    func inkBands() {
        let pixels = image(60, 16, ink: [[5, 1, 50, 5], [20, 6, 5, 2], [5, 10, 50, 5]])
        let bands = pixels.withUnsafeBytes { LineBounds.inkBands(of: [5, 0, 50, 16], in: $0, width: 60, height: 16, stride: 240) }
        #expect(bands == [1..<8, 10..<15])
        let past = pixels.withUnsafeBytes { LineBounds.inkBands(of: [-5, 12, 80, 10], in: $0, width: 60, height: 16, stride: 240) }
        #expect(past == [12..<15])
        #expect(pixels.withUnsafeBytes { LineBounds.inkBands(of: [5, 16, 50, 4], in: $0, width: 60, height: 16, stride: 240) }.isEmpty)
    }
}
