import ArgumentParser
import Device

struct RedactImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact-image",
        abstract: "Redact personal data and secrets in an image (PNG or WebP): OCR, the text recognizers, filled boxes.",
        discussion: "Writes the redacted image to OUT (PNG) and prints the boxes; with --json, one object with the boxes and the words OCR read."
    )

    @Argument(help: ArgumentHelp("The image to redact.", valueName: "in")) var input: String
    @Argument(help: ArgumentHelp("Where to write the redacted PNG.", valueName: "out")) var output: String
    @Flag(help: "Print the boxes and the words read as JSON.") var json = false

    // For tuning OCR on new kinds of screens.
    @Option(help: .hidden) var scale = 2
    @Option(help: .hidden) var psm = 6
    /// Reads only x,y,w,h, as the recorder reads a band of a frame.
    @Option(help: .hidden) var region: String?

    func run() throws {
        var redaction = ImageFileRedaction()
        (redaction.scale, redaction.pageSegmentation) = (scale, psm)
        redaction.region = try region.map { text in
            let v = text.split(separator: ",").compactMap { Int($0) }
            guard v.count == 4 else { throw ValidationError("--region takes x,y,w,h") }
            return (v[0], v[1], v[2], v[3])
        }
        let outcome = try redaction.run(input: input, output: output)
        if json { try printJSON(outcome) } else if !outcome.boxes.isEmpty { print(outcome.text) }
    }
}
