import COCR
import Foundation

/// Words read from an image by Tesseract, with their boxes, grouped in lines.
///
/// One engine is started once (start-up costs ~0.2 s) and reused; OpenMP is held to one
/// thread (several fight on two cores: see shared/notes/ocr.md). Callers take turns: one read
/// at a time holds the engine. Tesseract is loaded on first use (`COCR`, through dlopen), so programs that
/// never read pixels do not carry it.
public final class TextRecognition: @unchecked Sendable {
    public struct Word: Sendable, Equatable {
        public var text: String
        /// x, y, width, height in the image's pixels.
        public var box: [Int]
        public var confidence: Float
    }

    public enum Failure: Error, CustomStringConvertible {
        case cannotStart(String)
        case readFailed
        public var description: String {
            switch self {
            case .cannotStart(let reason): "cannot start Tesseract OCR: \(reason) (install tesseract-ocr-eng)"
            case .readFailed: "Tesseract could not read the image"
            }
        }
    }

    // Touched only while `turn` is held: Tesseract's engine is not safe to share.
    private let engine: OpaquePointer
    private let turn = NSLock()
    /// Small screen fonts read far better enlarged: images are scaled by this before OCR.
    public let scale: Int
    private let pageSegmentation: Int

    /// Defaults measured on xterm's 6x13 font: 2x with page segmentation 6 (one block of text)
    /// reads whole lines; sparse-text segmentation (11) breaks them into fragments.
    public init(language: String = "eng", scale: Int = 2, pageSegmentation: Int = 6) throws(Failure) {
        setenv("OMP_THREAD_LIMIT", "1", 0)
        var reason: UnsafePointer<CChar>?
        guard let engine = ocr_create(language, Int32(pageSegmentation), &reason) else {
            throw .cannotStart(reason.map { String(cString: $0) } ?? "unknown reason")
        }
        self.engine = engine
        self.scale = max(1, scale)
        self.pageSegmentation = pageSegmentation
    }

    deinit { ocr_destroy(engine) }

    /// The lines of words in a region of a 4-byte-per-pixel image (BGRA or RGBA; OCR reads grey).
    public func lines(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)? = nil
    ) throws(Failure) -> [[Word]] {
        turn.lock()
        defer { turn.unlock() }
        return try lines(in: pixels, width: width, height: height, stride: stride, region: region, scale: scale)
    }

    /// One line of text read again, enlarged `scale` times and segmented as a single line.
    public func line(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int), scale: Int
    ) throws(Failure) -> [[Word]] {
        turn.lock()
        defer { turn.unlock() }
        ocr_set_page_segmentation(engine, 7)  // one line of text
        defer { ocr_set_page_segmentation(engine, Int32(pageSegmentation)) }
        return try lines(in: pixels, width: width, height: height, stride: stride, region: region, scale: scale)
    }

    private func lines(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)?, scale: Int
    ) throws(Failure) -> [[Word]] {
        let r = region ?? (0, 0, width, height)
        guard r.w > 0, r.h > 0 else { return [] }
        // Grey copy of the region, enlarged with linear interpolation: Tesseract reads small,
        // hard-edged UI fonts badly at 1x and blocky enlargements only a little better.
        let sw = r.w * scale
        let sh = r.h * scale
        let base = pixels.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var source = [Float](repeating: 255, count: r.w * r.h)
        for y in 0..<r.h {
            let row = base + (r.y + y) * stride + r.x * 4
            for x in 0..<r.w {
                let p = row + x * 4
                source[y * r.w + x] = (Float(p[0]) * 29 + Float(p[1]) * 150 + Float(p[2]) * 77) / 256
            }
        }
        var grey = [UInt8](repeating: 255, count: sw * sh)
        let inverse = 1 / Float(scale)
        for y in 0..<sh {
            let fy = max(0, (Float(y) + 0.5) * inverse - 0.5)
            let y0 = min(Int(fy), r.h - 1)
            let y1 = min(y0 + 1, r.h - 1)
            let wy = fy - Float(y0)
            for x in 0..<sw {
                let fx = max(0, (Float(x) + 0.5) * inverse - 0.5)
                let x0 = min(Int(fx), r.w - 1)
                let x1 = min(x0 + 1, r.w - 1)
                let wx = fx - Float(x0)
                let top = source[y0 * r.w + x0] * (1 - wx) + source[y0 * r.w + x1] * wx
                let bottom = source[y1 * r.w + x0] * (1 - wx) + source[y1 * r.w + x1] * wx
                grey[y * sw + x] = UInt8(max(0, min(255, top * (1 - wy) + bottom * wy)))
            }
        }
        var found: UnsafeMutablePointer<ocr_word>?
        let count = grey.withUnsafeBufferPointer { ocr_read(engine, $0.baseAddress, Int32(sw), Int32(sh), &found) }
        guard count >= 0 else { throw .readFailed }
        guard count > 0, let found else { return [] }
        defer { ocr_free_words(found, count) }
        var lines: [[Word]] = []
        for w in UnsafeBufferPointer(start: found, count: Int(count)) {
            let word = Word(
                text: String(cString: w.text),
                box: [
                    r.x + Int(w.left) / scale, r.y + Int(w.top) / scale,
                    (Int(w.right) + scale - 1) / scale - Int(w.left) / scale, (Int(w.bottom) + scale - 1) / scale - Int(w.top) / scale,
                ],
                confidence: w.confidence)
            if w.starts_line != 0 || lines.isEmpty { lines.append([]) }
            lines[lines.count - 1].append(word)
        }
        return lines
    }
}
