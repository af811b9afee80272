import Datasets
import Foundation
import Testing
import UnderstudyModel

@Suite("Action compiler")
struct ActionCompilerTests {
    @Test("A step's target is the element named for its first input, even when the bus answered after the step was made; steps with none have none")
    func targets() {
        let send = AccessibleElement(
            role: "push button", name: "Send", bounds: [90, 90, 40, 20], app: "Chromium", ancestors: ["form", "frame"], id: "0/3")
        let field = AccessibleElement(role: "entry", name: "To", bounds: [10, 10, 200, 20], app: "Chromium", id: "0/1")
        var s = Script()
        s.click(100, 100, at: 0)
        s.at(90, .target(ofNs: 0, element: send))  // answered after the release
        s.type("hi", from: 500)
        s.at(505, .target(ofNs: 500_000_000, element: field))
        s.key("Return", at: 900)
        let steps = ActionCompiler().compile(s.events)
        #expect(steps.map(\.action) == [.click(x: 100, y: 100, button: .left, clicks: 1), .type(text: "hi"), .key("enter"), .done])
        #expect(steps.map(\.target) == [send, field, nil, nil])
    }

    @Test("Clicks close in time and place count up to a triple click; a fourth starts a new click; right clicks stay apart")
    func clickCounts() {
        var s = Script()
        s.click(100, 100, at: 0)
        s.click(101, 100, at: 200)
        s.click(100, 101, at: 400)
        s.click(100, 100, at: 600)
        s.click(400, 300, at: 2000)
        s.click(400, 300, at: 2200, button: .right)
        s.click(400, 300, at: 3000)
        #expect(
            s.actions == [
                .click(x: 100, y: 100, button: .left, clicks: 3), .click(x: 100, y: 100, button: .left, clicks: 1),
                .click(x: 400, y: 300, button: .left, clicks: 1), .click(x: 400, y: 300, button: .right, clicks: 1),
                .click(x: 400, y: 300, button: .left, clicks: 1), .done,
            ])
    }

    @Test("Moving past the threshold while pressed is a drag from the press to the release; the motion leading to a step and during it is its path")
    func dragAndPath() {
        var s = Script()
        s.at(0, .pointerMove(x: 10, y: 10))
        s.at(20, .pointerMove(x: 50, y: 40))
        s.at(40, .pointerDown(x: 50, y: 40, button: .left))
        s.at(100, .pointerMove(x: 80, y: 40))
        s.at(160, .pointerMove(x: 200, y: 90))
        s.at(200, .pointerUp(x: 200, y: 90, button: .left))
        s.at(900, .pointerMove(x: 203, y: 92))
        s.click(203, 92, at: 1000)
        let steps = ActionCompiler().compile(s.events)
        #expect(
            steps.map(\.action) == [.drag(from: [50, 40], to: [200, 90], button: .left), .click(x: 203, y: 92, button: .left, clicks: 1), .done])
        #expect(steps[0].path.map { [$0[0], $0[1]] } == [[10, 10], [50, 40], [80, 40], [200, 90]])
        #expect(steps[1].path.map { [$0[0], $0[1]] } == [[203, 92]])
        #expect(steps[0].startNs == 40_000_000 && steps[0].endNs == 200_000_000)
    }

    @Test("Scroll notches at one place are summed; a pause or another place starts a new scroll")
    func scrolls() {
        var s = Script()
        for i in 0..<5 { s.at(UInt64(i) * 100, .scroll(x: 300, y: 300, dx: 0, dy: 1)) }
        s.at(600, .scroll(x: 302, y: 301, dx: 0, dy: -1))
        s.at(2000, .scroll(x: 300, y: 300, dx: 1, dy: 0))
        s.at(2100, .scroll(x: 900, y: 300, dx: 0, dy: 2))
        #expect(
            s.actions == [.scroll(x: 300, y: 300, dx: 0, dy: 4), .scroll(x: 300, y: 300, dx: 1, dy: 0), .scroll(x: 900, y: 300, dx: 0, dy: 2), .done])
    }

    @Test("Typing is one type action with the text produced: BackSpace inside the run corrects it, a redacted value shows its kind")
    func typing() {
        var s = Script()
        s.type("helo", from: 0)
        s.key("BackSpace", at: 400)
        s.type("lo wrld", from: 500)
        s.at(1200, .redacted(what: .email, count: 20))
        s.type(" ok", from: 1300)
        s.key("Return", at: 1700)
        s.key("BackSpace", at: 1800)
        #expect(s.actions == [.type(text: "hello wrld[EMAIL] ok"), .key("enter"), .key("backspace"), .done])
    }

    @Test("A typed name removed by redaction stands in the type action as its pseudonym, so the instruction stays readable")
    func pseudonymInTyping() {
        var s = Script()
        s.type("reply to ", from: 0)
        s.at(800, .redacted(what: .personName, count: 11, token: "⟨person:3⟩"))
        s.type(" today", from: 900)
        #expect(s.actions == [.type(text: "reply to ⟨person:3⟩ today"), .done])
    }

    @Test("Chords with Ctrl, Alt or Super are hotkeys in pyautogui names; Shift alone types; modifier presses are not steps")
    func hotkeys() {
        var s = Script()
        s.key("Control_L", at: 0)
        s.key("c", at: 10, mods: [.ctrl])
        s.key("Shift_L", at: 200)
        s.at(210, .keyDown(key: "T", keycode: 0, mods: [.shift], text: "T"))
        s.key("t", at: 300, mods: [.ctrl, .shift])
        s.key("F5", at: 400)
        s.key("Tab", at: 500, mods: [.alt])
        #expect(
            s.actions == [
                .hotkey(keys: ["ctrl", "c"]), .type(text: "T"), .hotkey(keys: ["shift", "ctrl", "t"]), .key("f5"),
                .hotkey(keys: ["alt", "tab"]), .done,
            ])
    }

    @Test("Input stopping for the idle threshold becomes a wait; typing after a focus change is a new run")
    func waitsAndRuns() {
        var s = Script()
        s.type("ab", from: 0)
        s.at(500, .focus(WindowContext(app: "XTerm", title: "t", pid: nil, window: 1, rect: [0, 0, 10, 10])))
        s.type("cd", from: 600)
        s.click(10, 10, at: 5000)
        #expect(s.actions == [.type(text: "ab"), .type(text: "cd"), .wait(seconds: 4.3), .click(x: 10, y: 10, button: .left, clicks: 1), .done])
    }

    @Test("Each action has the pyautogui call that performs it, and its JSON carries normalised coordinates")
    func pyautogui() {
        let screen = ScreenGeometry(width: 1920, height: 1080, monitors: [])
        #expect(Action.click(x: 512, y: 300, button: .left, clicks: 1).pyautogui == "pyautogui.click(x=512, y=300)")
        #expect(Action.click(x: 5, y: 6, button: .right, clicks: 2).pyautogui == #"pyautogui.click(x=5, y=6, clicks=2, button="right")"#)
        #expect(Action.scroll(x: 1, y: 2, dx: 0, dy: 3).pyautogui == "pyautogui.scroll(-3, x=1, y=2)")
        #expect(Action.type(text: "it's \"a\"\\b\n").pyautogui == #"pyautogui.write("it's \"a\"\\b\n")"#)
        #expect(Action.hotkey(keys: ["ctrl", "c"]).pyautogui == #"pyautogui.hotkey("ctrl", "c")"#)
        #expect(Action.drag(from: [1, 2], to: [3, 4], button: .left).pyautogui == #"pyautogui.moveTo(1, 2); pyautogui.dragTo(3, 4, button="left")"#)
        let json = Action.click(x: 512, y: 300, button: .left, clicks: 1).json(screen: screen)
        #expect(json["nx"]?.doubleValue == 0.2667 && json["ny"]?.doubleValue == 0.2778 && json["type"]?.stringValue == "click")
    }
}

@Suite("Observations")
struct ObservationTests {
    @Test(
        "Each step's observation is the last frame strictly before its first input, however old while capture ran; none before, a pause since, or past the age limit is said so"
    )
    func alignment() {
        var s = Script()
        s.click(10, 10, at: 100)
        s.at(500, .frame(frame: "f1", w: 10, h: 10, reason: .action))
        s.click(20, 20, at: 1000)
        s.at(1200, .frame(frame: "f2", w: 10, h: 10, reason: .action))
        s.at(1300, .frame(frame: "f3", w: 10, h: 10, reason: .periodic))
        s.click(30, 30, at: 1300)
        s.click(40, 40, at: 20_000)
        let steps = ActionCompiler().compile(s.events)
        let frames = Observations.frames(in: s.events)
        let observed = Observations.align(steps, frames: frames, maxAge: .seconds(10))
        #expect(steps.map(\.action.verb) == ["click", "click", "click", "wait", "click", "done"])
        #expect(observed[0] == .failure(.none))
        #expect(observed[1] == .success(.init(frame: "f1", frameNs: 500_000_000, ageNs: 500_000_000)))
        // f3 was taken in the same instant as the press: not before it.
        #expect(observed[2] == .success(.init(frame: "f2", frameNs: 1_200_000_000, ageNs: 100_000_000)))
        #expect(observed[4] == .failure(.stale(frame: "f3", ageNs: 18_700_000_000)))
        // The recorder stores a frame whenever the screen changes: an old frame is the screen as it is…
        let unchanged = Observations.align(steps, frames: frames)
        #expect(unchanged[4] == .success(.init(frame: "f3", frameNs: 1_300_000_000, ageNs: 18_700_000_000)))
        // …unless recording paused (or stopped storing frames) after it.
        let paused = Observations.align(steps, frames: frames, interruptions: [(from: 5_000_000_000, to: 9_000_000_000)])
        #expect(paused[4] == .failure(.stale(frame: "f3", ageNs: 18_700_000_000)))
        #expect(paused[2] == unchanged[2])
    }
}

@Suite("Episodes without task markers")
struct EpisodeTests {
    private func focus(_ app: String) -> EventBody {
        .focus(WindowContext(app: app, title: app, pid: nil, window: 1, rect: [0, 0, 10, 10]))
    }

    @Test("A long idle or a switch to another app after a pause starts a new episode; waits at the edges go, each ends with done")
    func split() {
        var s = Script()
        s.at(0, focus("XTerm"))
        s.type("ls", from: 100)
        s.key("Return", at: 400)
        s.click(10, 10, at: 30_000)  // 30 s later, same app: same episode (with a wait)
        s.at(100_000, focus("Firefox"))
        s.click(20, 20, at: 100_500)  // another app after 70 s: a new episode
        s.click(30, 30, at: 101_000)
        s.at(102_000, focus("XTerm"))
        s.click(40, 40, at: 102_500)  // another app, no pause: same episode
        s.click(50, 50, at: 500_000)  // 6.6 min idle: a new episode
        let steps = ActionCompiler().compile(s.events)
        let episodes = Episodes.split(steps, events: s.events)
        #expect(
            episodes.map { $0.steps.map(\.action.verb) } == [
                ["type", "key", "wait", "click", "done"],
                ["click", "click", "click", "done"],
                ["click", "done"],
            ])
        #expect(episodes.map(\.apps) == [["XTerm"], ["Firefox", "XTerm"], ["XTerm"]])
    }
}
