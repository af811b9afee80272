import ArgumentParser
import Capture
import Foundation
import Privacy
import UnderstudyModel

struct RedactImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact-image",
        abstract: "Redact personal data and secrets in an image (PNG or WebP): OCR, the text recognizers, filled boxes.",
        discussion: "Writes the redacted image to OUT (PNG) and prints the boxes; with --json, one object with the boxes and the words OCR read."
    )

    @Argument(help: ArgumentHelp("The image to redact.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("Where to write the redacted PNG.", valueName: "out"))
    var output: String

    @Flag(help: "Print the boxes and the words read as JSON.")
    var json = false

    // For tuning OCR on new kinds of screens.
    @Option(help: .hidden) var scale = 2
    @Option(help: .hidden) var psm = 6
    /// Reads only x,y,w,h, as the recorder reads a band of a frame.
    @Option(help: .hidden) var region: String?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: input) else { throw CommandFailure("cannot read \(input)") }
        let codec: TileCodec = data.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? .png : .webp
        var image = try PixelCodec.decode(data, codec: codec)
        let ocr = try TextRecognition(scale: scale, pageSegmentation: psm)
        let redactor = ImageRedactor()
        let stride = image.width * 4
        let area = try region.map { text in
            let v = text.split(separator: ",").compactMap { Int($0) }
            guard v.count == 4 else { throw CommandFailure("--region takes x,y,w,h") }
            return (v[0], v[1], v[2], v[3])
        }
        let (boxes, lines) = try image.pixels.withUnsafeBytes {
            try redactor.boxes(in: $0, width: image.width, height: image.height, stride: stride, region: area, ocr: ocr)
        }
        image.pixels.withUnsafeMutableBytes {
            FrameRedaction.fill(boxes, in: $0.baseAddress!, width: image.width, height: image.height, stride: stride)
        }
        try ImageFile.write(image.pixels, width: image.width, height: image.height, to: output)
        if json {
            print(
                JSONValue.object([
                    ("boxes", .array(boxes.map(\.json))),
                    ("lines", .array(lines.map { .string($0.map(\.text).joined(separator: " ")) })),
                ]).serialized)
        } else {
            for box in boxes { print("\(box.what.rawValue) \(box.box.map(String.init).joined(separator: " "))") }
        }
    }
}
