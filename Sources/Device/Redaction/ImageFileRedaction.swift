import Capture
import Foundation
import Privacy
import UnderstudyModel

/// Redacts an image file (PNG or WebP) as the recorder redacts a frame: OCR, the text
/// recognizers, filled boxes. Auditing the recognizers on real screens is its use.
public struct ImageFileRedaction: Sendable {
    /// OCR's upscaling factor and tesseract page segmentation mode, for tuning on new screens.
    public var scale = 2
    public var pageSegmentation = 6
    /// Read only this x, y, w, h, as the recorder reads a band of a frame.
    public var region: (x: Int, y: Int, w: Int, h: Int)?

    public init() {}

    /// What was found. Encoded, it is `redact-image --json`.
    public struct Outcome: Encodable, Sendable {
        public var boxes: [FrameRedaction]
        /// The lines OCR read, before redaction (only the caller sees them; nothing is logged).
        public var lines: [String]

        public var text: String { boxes.map { "\($0.what.rawValue) \($0.box.map(String.init).joined(separator: " "))" }.joined(separator: "\n") }
    }

    /// Reads `input`, writes the redacted image to `output` as PNG.
    public func run(input: String, output: String) throws -> Outcome {
        guard let data = FileManager.default.contents(atPath: input) else { throw DeviceFailure("cannot read \(input)") }
        let codec: TileCodec = data.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? .png : .webp
        var image = try PixelCodec.decode(data, codec: codec)
        let ocr = try TextRecognition(scale: scale, pageSegmentation: pageSegmentation)
        let stride = image.width * 4
        let (boxes, lines) = try image.pixels.withUnsafeBytes {
            try ImageRedactor().boxes(in: $0, width: image.width, height: image.height, stride: stride, region: region, ocr: ocr)
        }
        image.pixels.withUnsafeMutableBytes {
            FrameRedaction.fill(boxes, in: $0.baseAddress!, width: image.width, height: image.height, stride: stride)
        }
        try ImageFile.write(image.pixels, width: image.width, height: image.height, to: output)
        return Outcome(boxes: boxes, lines: lines.map { $0.map(\.text).joined(separator: " ") })
    }
}
