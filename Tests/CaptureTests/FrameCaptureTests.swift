import Capture
import Foundation
import TestSupport
import Testing
import UnderstudyModel

@Suite("X11 frames", .serialized)
struct FrameCaptureTests {
    @Test("The observation frame of each click was grabbed before the click, and no stored frame repeats the one before it")
    func observationBeforeClick() async throws {
        let x = try XSession()
        try x.startApps()
        let terminal = try x.window(class: "UnderstudyTerm")
        // Clicks on xcalc's keys change its display; typing into xterm right before a click
        // makes the screen change just before the press, the case that must not race.
        let captured = try await capture(x) {
            try x.xdotool(
                """
                mousemove 1150 300
                sleep 0.3
                click 1
                sleep 0.3
                mousemove 1200 300
                click 1
                sleep 0.2
                windowactivate --sync \(terminal)
                type "abc"
                mousemove 200 200
                click 1
                type "def"
                click 1
                sleep 0.4
                mousemove 1250 350
                click 1
                click 1
                sleep 0.3
                """)
        }
        let grabbed = Dictionary(captured.manifests.map { ($0.hash, $0.grabbedNs) }, uniquingKeysWith: { a, _ in a })
        var lastFrame: String?
        var clicks = 0
        for event in captured.events {
            switch event.body {
            case .frame(let hash, _, _, _):
                #expect(hash != lastFrame, "a frame identical to the previous one was stored")
                lastFrame = hash
            case .pointerDown:
                clicks += 1
                let frame = try #require(lastFrame, "click \(clicks) has no frame before it")
                let grabTime = try #require(grabbed[frame])
                #expect(grabTime < event.t, "click \(clicks): its observation was grabbed \(grabTime), the click was at \(event.t)")
            default:
                break
            }
        }
        #expect(clicks == 6)
        #expect(captured.manifests.count >= 3)
        #expect(captured.stats.encodeFailures == 0)
    }

    @Test("A stored frame rebuilds to exactly the pixels on screen, with either codec", arguments: [TileCodec.webp, .png])
    func lossless(codec: TileCodec) async throws {
        let x = try XSession(width: 1000, height: 700)
        try x.startApps()
        let captured = try await capture(x, codec: codec) {
            try x.xdotool("mousemove 1150 300\nclick 1\nsleep 0.5")
        }
        let frame = try #require(captured.manifests.last)
        let rebuilt = try FrameAssembler.pixels(of: frame) { captured.tileSource($0) }
        let screen = try XWD.rootPixels(x)
        #expect(screen.width == frame.width && screen.height == frame.height)
        #expect(rebuilt.count == screen.pixels.count)
        var mismatched = 0
        for i in stride(from: 0, to: min(rebuilt.count, screen.pixels.count), by: 4) where rebuilt[i..<i + 3] != screen.pixels[i..<i + 3] {
            mismatched += 1
        }
        #expect(mismatched == 0, "\(mismatched) pixels differ from the screen")
    }

    @Test("An unchanged screen is not grabbed again and stores no new frame")
    func idleScreen() async throws {
        let x = try XSession()
        try x.startApps()
        let backend = try X11Backend(settings: X11CaptureSettings(display: x.display))
        let drain = Task { for try await _ in backend.records {} }
        try await Task.sleep(for: .seconds(1.5))
        let before = backend.pipelineStats()
        try await Task.sleep(for: .seconds(2))
        let after = backend.pipelineStats()
        backend.stop()
        try await drain.value
        #expect(before.framesStored >= 1, "the session's first frame")
        #expect(after.grabMs.count == before.grabMs.count, "no grab while nothing changed")
        #expect(after.framesStored == before.framesStored)
    }

    @Test("While the screen keeps changing without input, a periodic frame is taken at most every frame period")
    func periodic() async throws {
        let x = try XSession()
        try x.launch("/usr/bin/xclock", "-digital", "-strftime", "%H:%M:%S", "-update", "1", "-geometry", "+300+300")
        try x.waitForWindow(class: "XClock")
        let captured = try await capture(x, period: .seconds(1)) { usleep(4_500_000) }
        let periodic = captured.events.compactMap { event -> UInt64? in
            if case .frame(_, _, _, .periodic) = event.body { return event.t } else { return nil }
        }
        #expect(periodic.count >= 3, "the clock ticked every second for 4.5 s")
        let gaps = zip(periodic, periodic.dropFirst()).map { Double($1 - $0) / 1e9 }
        #expect(gaps.allSatisfy { $0 >= 0.9 }, "periodic frames came closer than the period: \(gaps)")
    }

    @Test(
        "No frame grabbed while frames were withheld (a pause) is stored, not even as the observation of a click right after they are allowed again")
    func noFrameFromAPause() async throws {
        let x = try XSession()
        try x.startApps()
        let terminal = try x.window(class: "UnderstudyTerm")
        let pause = SwitchedPolicy()
        let captured = try await capture(x, policy: pause) {
            try x.xdotool("windowactivate --sync \(terminal)\nsleep 0.3")
            pause.set(allowed: false)
            // The screen changes during the pause, and is grabbed then (grabs go on while paused).
            try x.xdotool("type --delay 20 \"paused-secret\"\nsleep 0.8")
            pause.set(allowed: true)
            try x.xdotool("mousemove 200 200\nclick 1\nsleep 0.5")
        }
        // The keys typed in the pause tell when it was, on the capture's clock: it ran from
        // before the first to 0.8 s after the last.
        let typed = captured.events.compactMap { if case .keyDown = $0.body { $0.t } else { nil } }
        let (first, last) = (try #require(typed.min()), try #require(typed.max()))
        #expect(captured.events.contains { if case .pointerDown = $0.body { true } else { false } })
        for manifest in captured.manifests {
            #expect(!(first...(last + 600_000_000)).contains(manifest.grabbedNs), "frame \(manifest.hash) was grabbed during the pause")
        }
    }

    @Test("Typing pauses, scroll ends and focus changes each take a frame")
    func eventDrivenFrames() async throws {
        let x = try XSession()
        try x.startApps()
        let terminal = try x.window(class: "UnderstudyTerm")
        let calculator = try x.window(class: "XCalc")
        let captured = try await capture(x) {
            try x.xdotool(
                """
                windowactivate --sync \(terminal)
                sleep 0.5
                type "typing"
                sleep 0.8
                windowactivate --sync \(calculator)
                sleep 0.8
                """)
        }
        let frames = captured.events.compactMap { event -> (t: UInt64, reason: FrameReason)? in
            if case .frame(_, _, _, let reason) = event.body { return (event.t, reason) } else { return nil }
        }
        let lastKey = try #require(captured.events.last { $0.body.kind == "key.up" }?.t)
        let lastFocus = try #require(captured.events.last { $0.body.kind == "focus" }?.t)
        #expect(frames.contains { $0.reason == .action && $0.t > lastKey }, "a frame after the typing pause")
        #expect(frames.contains { $0.reason == .focus && $0.t > lastFocus }, "a frame after the focus change")
    }
}

/// Reads the root window with `xwd`, an independent path to the screen's pixels.
enum XWD {
    static func rootPixels(_ x: XSession) throws -> (pixels: [UInt8], width: Int, height: Int) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-\(UUID().uuidString).xwd")
        defer { try? FileManager.default.removeItem(at: url) }
        try x.output("xwd", "-root", "-silent", "-out", url.path)
        let data = [UInt8](try Data(contentsOf: url))
        func card(_ index: Int) -> Int { data[index * 4..<index * 4 + 4].reduce(0) { $0 << 8 | Int($1) } }
        let headerSize = card(0)
        let width = card(4)
        let height = card(5)
        let bitsPerPixel = card(11)
        let bytesPerLine = card(12)
        let colors = card(19)
        let littleEndian = card(7) == 0
        precondition(bitsPerPixel == 32, "expected a 32-bit screen")
        let start = headerSize + colors * 12
        var out = [UInt8](repeating: 0xFF, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let p = start + y * bytesPerLine + x * 4
                let (b, g, r) = littleEndian ? (data[p], data[p + 1], data[p + 2]) : (data[p + 3], data[p + 2], data[p + 1])
                out[(y * width + x) * 4] = b
                out[(y * width + x) * 4 + 1] = g
                out[(y * width + x) * 4 + 2] = r
            }
        }
        return (out, width, height)
    }
}

/// A policy whose frames are switched on and off by the test, as a pause does.
final class SwitchedPolicy: CapturePolicy, @unchecked Sendable {
    private let lock = NSLock()
    private var allowed = true
    private var changes: UInt64 = 0

    func set(allowed: Bool) {
        lock.withLock {
            self.allowed = allowed
            changes += 1
        }
    }

    func treatment(of window: WindowContext) -> WindowTreatment { .capture }
    var framesAllowed: Bool { lock.withLock { allowed } }
    var revision: UInt64 { lock.withLock { changes } }
}
