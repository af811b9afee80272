import Capture
import Foundation
import TestSupport
import Testing
import UnderstudyModel

/// Ground truth: each test sends known input with xdotool to a private Xvfb and checks that
/// exactly that input comes out, in order, with the right coordinates, keys and text.
@Suite("X11 input capture", .serialized)
struct InputCaptureTests {
    @Test("Every motion target, button and wheel notch is captured in order with exact coordinates")
    func pointer() async throws {
        let x = try XSession()
        try x.startApps()
        let captured = try await capture(x, frames: false) {
            try x.xdotool(
                """
                mousemove 100 100
                mousemove 300 200
                click 1
                click 2
                click 3
                click 8
                click 9
                mousemove 400 300
                click 4
                click 4
                click 5
                click 5
                click 5
                click 6
                click 7
                mousemove 401 301
                """)
        }
        let expected: [EventBody] = [
            .pointerMove(x: 100, y: 100), .pointerMove(x: 300, y: 200),
            .pointerDown(x: 300, y: 200, button: .left), .pointerUp(x: 300, y: 200, button: .left),
            .pointerDown(x: 300, y: 200, button: .middle), .pointerUp(x: 300, y: 200, button: .middle),
            .pointerDown(x: 300, y: 200, button: .right), .pointerUp(x: 300, y: 200, button: .right),
            .pointerDown(x: 300, y: 200, button: .back), .pointerUp(x: 300, y: 200, button: .back),
            .pointerDown(x: 300, y: 200, button: .forward), .pointerUp(x: 300, y: 200, button: .forward),
            .pointerMove(x: 400, y: 300),
            .scroll(x: 400, y: 300, dx: 0, dy: -1), .scroll(x: 400, y: 300, dx: 0, dy: -1),
            .scroll(x: 400, y: 300, dx: 0, dy: 1), .scroll(x: 400, y: 300, dx: 0, dy: 1), .scroll(x: 400, y: 300, dx: 0, dy: 1),
            .scroll(x: 400, y: 300, dx: -1, dy: 0), .scroll(x: 400, y: 300, dx: 1, dy: 0),
            .pointerMove(x: 401, y: 301),
        ]
        #expect(captured.bodies(["pointer.move", "pointer.down", "pointer.up", "scroll"]) == expected)
        #expect(zip(captured.events, captured.events.dropFirst()).allSatisfy { $0.t <= $1.t }, "t_ns never goes back")
    }

    @Test("Keys carry keysym, keycode, modifiers and the text they produced, shifted characters included")
    func keys() async throws {
        let x = try XSession.typingIntoTerminal()
        let captured = try await capture(x, frames: false) {
            try x.xdotool("type --delay 15 \"Hello, World!\"\nkey Return\nkey ctrl+shift+a")
        }
        let downs = captured.events.compactMap { event -> (key: String, keycode: Int, mods: [Modifier], text: String?)? in
            guard case .keyDown(let key, let keycode, let mods, let text) = event.body else { return nil }
            return (key, keycode, mods, text)
        }
        let typed = downs.filter { $0.text != nil }
        #expect(typed.map(\.text!).joined() == "Hello, World!")
        #expect(typed.map(\.key) == ["H", "e", "l", "l", "o", "comma", "space", "W", "o", "r", "l", "d", "exclam"])
        #expect(typed.first?.mods == [.shift])
        #expect(typed.last?.mods == [.shift])
        #expect(typed[1].mods.isEmpty && typed[1].keycode == 26)
        #expect(downs.contains { $0.key == "Return" && $0.text == nil })
        #expect(downs.contains { $0.key == "A" && $0.mods == [.shift, .ctrl] && $0.text == nil }, "a chord produces no text")
        let ups = captured.events.compactMap { event -> Int? in
            if case .keyUp(_, let keycode, _) = event.body { return keycode } else { return nil }
        }
        #expect(ups.sorted() == downs.map(\.keycode).sorted(), "every key that went down came up")
    }

    @Test("A German layout, switched on while recording, gives its own keycodes and non-ASCII text")
    func nonUSLayout() async throws {
        let x = try XSession.typingIntoTerminal()
        let captured = try await capture(x, frames: false) {
            try x.output("setxkbmap", "-display", x.display, "de")
            usleep(500_000)
            try x.xdotool("type --delay 30 \"zyäöüß€\"")
        }
        let typed = captured.events.compactMap { event -> (key: String, keycode: Int, text: String)? in
            guard case .keyDown(let key, let keycode, _, let text?) = event.body else { return nil }
            return (key, keycode, text)
        }
        #expect(typed.map(\.text).joined() == "zyäöüß€")
        #expect(typed.map(\.key) == ["z", "y", "adiaeresis", "odiaeresis", "udiaeresis", "ssharp", "EuroSign"])
        #expect(typed.first?.keycode == 29, "z sits where a US keyboard has y")
        #expect(typed.dropFirst().first?.keycode == 52, "y sits where a US keyboard has z")
    }

    @Test("Characters missing from the keymap, which xdotool types by remapping a spare keycode, keep their text")
    func remappedCharacters() async throws {
        let x = try XSession.typingIntoTerminal()
        let word = "éñøçü€é"
        let captured = try await capture(x, frames: false) {
            try x.xdotool("type --delay 20 \"\(word)\"")
        }
        let typed = captured.events.compactMap { event -> String? in
            if case .keyDown(_, _, _, let text?) = event.body { return text } else { return nil }
        }
        #expect(typed.joined() == word)
    }

    @Test("Focus events name the active window's class, title, pid and id, and follow title changes")
    func focus() async throws {
        let x = try XSession()
        try x.startApps()
        let terminal = try x.window(class: "UnderstudyTerm")
        let calculator = try x.window(class: "XCalc")
        let terminalPid = Int(try x.output("xdotool", "getwindowpid", terminal).trimmingCharacters(in: .whitespacesAndNewlines))
        let captured = try await capture(x, frames: false) {
            try x.xdotool(
                """
                windowactivate --sync \(terminal)
                sleep 0.3
                windowactivate --sync \(calculator)
                sleep 0.3
                windowactivate --sync \(terminal)
                sleep 0.3
                set_window --name "renamed title" \(terminal)
                sleep 0.3
                """)
        }
        let contexts = captured.events.compactMap { event -> WindowContext? in
            if case .focus(let context) = event.body { return context } else { return nil }
        }
        let lastThree = Array(contexts.suffix(3))
        try #require(lastThree.count == 3)
        #expect(lastThree.map(\.app) == ["XCalc", "UnderstudyTerm", "UnderstudyTerm"])
        #expect(lastThree.map(\.title) == ["Calculator", "terminal", "renamed title"])
        #expect(lastThree[1].window == UInt64(terminal) && lastThree[0].window == UInt64(calculator))
        #expect(lastThree[1].pid == terminalPid)
        #expect(lastThree[1].rect.count == 4 && lastThree[1].rect[2] > 100 && lastThree[1].rect[3] > 100)
    }

    @Test("Without a window manager, focus follows the input focus")
    func focusWithoutWindowManager() async throws {
        let x = try XSession(windowManager: false)
        try x.startApps()
        let terminal = try x.window(class: "UnderstudyTerm")
        let calculator = try x.window(class: "XCalc")
        let captured = try await capture(x, frames: false) {
            try x.xdotool("windowfocus --sync \(calculator)\nsleep 0.3\nwindowfocus --sync \(terminal)\nsleep 0.3\nkey a")
        }
        let apps = captured.events.compactMap { event -> String? in
            if case .focus(let context) = event.body { return context.app } else { return nil }
        }
        #expect(apps.suffix(2) == ["XCalc", "UnderstudyTerm"])
    }

    @Test("A burst of over 1,000 input events in about a second is captured completely")
    func burst() async throws {
        let x = try XSession.typingIntoTerminal()
        let points = (0..<800).map { i in (x: 60 + (i * 7) % 1700, y: 80 + (i * 13) % 900) }
        var script = ""
        for (i, p) in points.enumerated() {
            script += "mousemove \(p.x) \(p.y)\n"
            if i % 4 == 0 { script += "key a\n" }
        }
        let captured = try await capture(x, frames: false) { try x.xdotool(script) }
        let moves = captured.events.compactMap { event -> [Int]? in
            if case .pointerMove(let x, let y) = event.body { return [x, y] } else { return nil }
        }
        let keyEvents = captured.bodies(["key.down", "key.up"])
        #expect(moves == points.map { [$0.x, $0.y] })
        #expect(keyEvents.count == 400)
        let input = captured.events.filter { ["pointer.move", "key.down", "key.up"].contains($0.body.kind) }
        let seconds = Double(input.last!.t - input.first!.t) / 1e9
        #expect(input.count == 1200)
        #expect(seconds < 3, "the burst took \(seconds) s; it is meant to be a burst")
    }

    @Test("Screen geometry lists every monitor")
    func geometry() throws {
        let x = try XSession(width: 1600, height: 900)
        let backend = try X11Backend(settings: X11CaptureSettings(display: x.display, frames: FrameSettings()))
        defer { backend.stop() }
        #expect(backend.screen.width == 1600 && backend.screen.height == 900)
        #expect(backend.screen.monitors.count == 1)
        #expect(backend.screen.monitors.first.map { [$0.x, $0.y, $0.width, $0.height] } == [0, 0, 1600, 900])
    }

    @Test("Opening a display that does not exist fails with a clear error")
    func noDisplay() {
        #expect(throws: CaptureError.noDisplay(":987")) {
            try X11Backend(settings: X11CaptureSettings(display: ":987"))
        }
    }
}

extension XSession {
    /// A session with its apps running and the terminal focused, ready for typing.
    static func typingIntoTerminal() throws -> XSession {
        let x = try XSession()
        try x.startApps()
        try x.xdotool("windowactivate --sync \(try x.window(class: "UnderstudyTerm"))")
        return x
    }
}
