import Capture
import Foundation
import TestSupport
import Testing
import UnderstudyModel

/// A scanner that needs no OCR, so the stage's bookkeeping can be checked exactly: red pixels
/// count as an email address, but only while green pixels are in the same region — like half an
/// address that becomes recognisable once the rest is typed somewhere else on its line.
struct ColourScanner: FrameTextScanner {
    var fails = false
    /// The box reaches one row past the first tile-row edge below the red pixels, as an OCR box's
    /// margin does when a line of text ends just above the edge (tiles are 128 pixels).
    var reachesPastTileRow = false

    struct Unreadable: Error {}

    func redactions(
        in pixels: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int,
        region: (x: Int, y: Int, w: Int, h: Int)
    ) throws -> [FrameRedaction] {
        if fails { throw Unreadable() }
        var red: (x0: Int, y0: Int, x1: Int, y1: Int)?
        var green = false
        for y in region.y..<(region.y + region.h) {
            for x in region.x..<(region.x + region.w) {
                let p = y * stride + x * 4
                let (b, g, r) = (pixels[p], pixels[p + 1], pixels[p + 2])
                if r == 255, g == 0, b == 0 {
                    red = red.map { (min($0.x0, x), min($0.y0, y), max($0.x1, x), max($0.y1, y)) } ?? (x, y, x, y)
                }
                if r == 0, g == 255, b == 0 { green = true }
            }
        }
        guard green, let red else { return [] }
        let bottom = reachesPastTileRow ? min(height, (red.y1 / 128 + 1) * 128 + 1) : red.y1 + 1
        return [FrameRedaction(what: .email, box: [red.x0, red.y0, red.x1 - red.x0 + 1, bottom - red.y0])]
    }
}

@Suite("Frame redaction", .serialized)
struct FrameRedactionTests {
    /// A red block at +100+100 and, later, a green one on the same rows at +500+100.
    private func colourBlock(_ x: XSession, _ colour: String, at position: String, size: String = "20x6") throws {
        try x.launch(
            "/usr/bin/xterm", "-class", "Block\(colour)", "-fg", "#\(colour)", "-bg", "#\(colour)", "-cr", "#\(colour)",
            "-geometry", "\(size)\(position)", "-e", "cat")
        try x.waitForWindow(class: "Block\(colour)")
    }

    private func redPixels(_ frame: FrameManifest, _ captured: Captured) throws -> Int {
        try redPositions(frame, captured).count
    }

    /// Pixel indexes (y * width + x) of the red block in a frame.
    private func redPositions(_ frame: FrameManifest, _ captured: Captured) throws -> [Int] {
        let pixels = try FrameAssembler.pixels(of: frame) { captured.tileSource($0) }
        return stride(from: 0, to: pixels.count, by: 4).filter { pixels[$0] == 0 && pixels[$0 + 1] == 0 && pixels[$0 + 2] == 255 }.map { $0 / 4 }
    }

    @Test("A box that reaches into tiles stored before is filled in that frame and in every later one, keyframes included")
    func variantsOutliveTheirFrame() async throws {
        let x = try XSession(width: 1000, height: 700)
        let captured = try await capture(
            x, period: .seconds(1), redaction: FrameRedactionSettings(scanner: ColourScanner()),
            keyframeInterval: .seconds(2)
        ) {
            try colourBlock(x, "ff0000", at: "+100+100")
            Thread.sleep(forTimeInterval: 0.8)
            try colourBlock(x, "00ff00", at: "+500+100")
            Thread.sleep(forTimeInterval: 0.8)
            // The green block leaves the red one's rows: nothing there is found any more.
            try x.xdotool(
                "search --class Block00ff00 windowmove %@ 500 450\nsleep 1.3\nsearch --class Block00ff00 windowmove %@ 600 500\nsleep 1.3\n"
                    + "search --class Block00ff00 windowmove %@ 700 550\nsleep 1.3")
        }
        let frames = captured.manifests.filter { $0.withheld == nil }
        let firstRedacted = try #require(frames.firstIndex { !$0.redactions.isEmpty }, "no frame was redacted")
        #expect(firstRedacted > 0, "the red block alone is not sensitive, so the frames before the green one are stored as they are")
        let block = try redPositions(frames[firstRedacted - 1], captured)
        #expect(block.count > 5000)
        #expect(frames.count - firstRedacted >= 3, "frames after the green block moved away: \(frames.count - firstRedacted)")
        for (i, frame) in frames.enumerated().dropFirst(firstRedacted) {
            #expect(try redPixels(frame, captured) < 50, "frame \(i) shows the red block")
            // The frame's record says where it was filled: every pixel of the block is in a box.
            let boxes = frame.redactions.filter { $0.what == .email }.map(\.box)
            let outside = block.count { p in
                let x = p % frame.width
                let y = p / frame.width
                return !boxes.contains { x >= $0[0] && x < $0[0] + $0[2] && y >= $0[1] && y < $0[1] + $0[3] }
            }
            #expect(outside == 0, "frame \(i): \(outside) pixels of the block are outside its recorded boxes \(boxes)")
        }
        #expect(captured.stats.framesWithheld == 0)
        #expect(captured.stats.encodeFailures == 0)
    }

    @Test("A box stays filled when new content appears elsewhere in its tile and only the new content's rows are read again")
    func boxesCarriedIntoChangedTiles() async throws {
        let x = try XSession(width: 1000, height: 700)
        let captured = try await capture(x, period: .seconds(1), redaction: FrameRedactionSettings(scanner: ColourScanner())) {
            try colourBlock(x, "ff0000", at: "+100+100")
            Thread.sleep(forTimeInterval: 0.8)
            try colourBlock(x, "00ff00", at: "+500+100")
            Thread.sleep(forTimeInterval: 0.8)
            // The green block leaves: the red one is no longer recognisable when read again…
            try x.xdotool("search --class Block00ff00 windowmove %@ 500 450\nsleep 1.3")
            // …and a blue block appears right beside it, in the tiles the red one reaches into.
            try colourBlock(x, "0000ff", at: "+236+100")
            Thread.sleep(forTimeInterval: 1.3)
        }
        let frames = captured.manifests.filter { $0.withheld == nil }
        let firstRedacted = try #require(frames.firstIndex { !$0.redactions.isEmpty }, "no frame was redacted")
        let blue = try #require(
            frames.lastIndex { frame in
                let pixels = (try? FrameAssembler.pixels(of: frame) { captured.tileSource($0) }) ?? []
                return stride(from: 0, to: pixels.count, by: 4).contains { pixels[$0] == 255 && pixels[$0 + 1] == 0 && pixels[$0 + 2] == 0 }
            }, "no frame shows the blue block")
        #expect(blue > firstRedacted)
        for (i, frame) in frames.enumerated().dropFirst(firstRedacted) {
            #expect(try redPixels(frame, captured) < 50, "frame \(i) shows the red block")
        }
    }

    @Test("A box's margin over a blank tile fills nothing there, and no other blank tile of the screen shows a stripe")
    func marginsOverBlankTiles() async throws {
        let x = try XSession(width: 1000, height: 700)
        let scanner = ColourScanner(reachesPastTileRow: true)
        let captured = try await capture(x, period: .seconds(1), redaction: FrameRedactionSettings(scanner: scanner)) {
            // A grey backdrop: most of the screen is tiles of one colour, all with the same hash.
            try colourBlock(x, "808080", at: "+0+0", size: "160x50")
            try colourBlock(x, "ff0000", at: "+100+100")
            Thread.sleep(forTimeInterval: 0.8)
            try colourBlock(x, "00ff00", at: "+500+100")
            Thread.sleep(forTimeInterval: 1.3)
        }
        let frames = captured.manifests.filter { $0.withheld == nil }
        let firstRedacted = try #require(frames.firstIndex { !$0.redactions.isEmpty }, "no frame was redacted")
        let before = try FrameAssembler.pixels(of: frames[firstRedacted - 1]) { captured.tileSource($0) }
        let block = try redPositions(frames[firstRedacted - 1], captured)
        let width = frames[0].width
        let left = try #require(block.map { $0 % width }.min())
        let right = try #require(block.map { $0 % width }.max())
        let top = try #require(block.map { $0 / width }.min())
        let edge = (try #require(block.map { $0 / width }.max()) / 128 + 1) * 128
        func black(_ pixels: [UInt8], _ i: Int) -> Bool { pixels[i * 4] == 0 && pixels[i * 4 + 1] == 0 && pixels[i * 4 + 2] == 0 }
        for (n, frame) in frames.enumerated().dropFirst(firstRedacted) {
            let pixels = try FrameAssembler.pixels(of: frame) { captured.tileSource($0) }
            // Filled pixels are the block's, down to the tile edge its box crosses; none beyond.
            let stray = (0..<(pixels.count / 4)).filter { i in
                let (px, py) = (i % width, i / width)
                let inBox = px >= left && px <= right && py >= top && py < edge
                return black(pixels, i) && !black(before, i) && !inBox
            }
            #expect(
                stray.count == 0,
                "frame \(n): \(stray.count) filled pixels outside the box, first at \(stray.first.map { ($0 % width, $0 / width) }.debugDescription)")
            #expect(frame.redactions.allSatisfy { $0.box[1] + $0.box[3] <= edge }, "frame \(n): \(frame.redactions.map(\.box))")
        }
    }

    @Test("A frame showing a kind the policy drops frames for is withheld, pixels and all, and so is every later frame showing it")
    func dropFrameKinds() async throws {
        let x = try XSession(width: 1000, height: 700)
        let settings = FrameRedactionSettings(scanner: ColourScanner(), dropFrames: [.email])
        let captured = try await capture(x, period: .seconds(1), redaction: settings) {
            try colourBlock(x, "ff0000", at: "+100+100")
            Thread.sleep(forTimeInterval: 0.8)
            try colourBlock(x, "00ff00", at: "+500+100")
            Thread.sleep(forTimeInterval: 0.8)
            try x.xdotool("search --class Block00ff00 windowmove %@ 500 450\nsleep 1.3")
        }
        let withheld = captured.manifests.filter { $0.withheld != nil }
        #expect(withheld.count >= 2, "withheld: \(withheld.count) of \(captured.manifests.count)")
        #expect(withheld.allSatisfy { $0.tiles.isEmpty && $0.redactions.isEmpty })
        #expect(withheld.first?.withheld == .showed(.email))
        // What was stored is from before the green block: no stored tile shows both.
        let stored = captured.manifests.filter { $0.withheld == nil }
        #expect(!stored.isEmpty)
        #expect(captured.manifests.last?.withheld != nil, "the last frame still shows the red block and must be withheld")
    }

    @Test("When OCR fails, no frame is stored: each is withheld as unreadable")
    func unreadableFrames() async throws {
        let x = try XSession(width: 1000, height: 700)
        let captured = try await capture(x, redaction: FrameRedactionSettings(scanner: ColourScanner(fails: true))) {
            try colourBlock(x, "ff0000", at: "+100+100")
            Thread.sleep(forTimeInterval: 0.8)
        }
        #expect(!captured.manifests.isEmpty)
        #expect(
            captured.manifests.allSatisfy { $0.withheld == .unreadable && $0.tiles.isEmpty },
            "\(captured.manifests.map { "\(String(describing: $0.withheld)) \($0.tiles.count) tiles" })")
        #expect(captured.patches.isEmpty, "tiles were stored from frames that were never checked")
    }
}
