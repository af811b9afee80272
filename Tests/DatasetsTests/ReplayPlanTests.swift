import Datasets
import Foundation
import Testing
import UnderstudyModel

@Suite("Replay plans")
struct ReplayPlanTests {
    @Test(
        "Each action becomes the inputs that perform it: clicks counted, drags moved through, scroll notches, typed characters, chords pressed and released in reverse"
    )
    func inputs() throws {
        let plan = ReplayPlan()
        #expect(
            try plan.inputs(for: .click(x: 5, y: 6, button: .right, clicks: 2)) == [
                .move(x: 5, y: 6), .button(.right, down: true), .button(.right, down: false), .pause(.milliseconds(60)),
                .button(.right, down: true), .button(.right, down: false),
            ])
        let drag = try plan.inputs(for: .drag(from: [0, 0], to: [120, 60], button: .left))
        #expect(drag.first == .move(x: 0, y: 0) && drag[1] == .button(.left, down: true) && drag.last == .button(.left, down: false))
        #expect(drag.dropLast().last == .move(x: 120, y: 60))
        #expect(
            try plan.inputs(for: .scroll(x: 1, y: 2, dx: 0, dy: -2)).filter { if case .scroll = $0 { true } else { false } }
                == [.scroll(dx: 0, dy: -1), .scroll(dx: 0, dy: -1)])
        #expect(try plan.inputs(for: .type(text: "a!")).filter { $0 != .pause(.milliseconds(15)) } == [.character("a"), .character("!")])
        #expect(
            try plan.inputs(for: .hotkey(keys: ["ctrl", "shift", "t"])) == [
                .key("Control_L", down: true), .key("Shift_L", down: true), .key("t", down: true),
                .key("t", down: false), .key("Shift_L", down: false), .key("Control_L", down: false),
            ])
        #expect(try plan.inputs(for: .key("enter")) == [.key("Return", down: true), .key("Return", down: false)])
        #expect(try plan.inputs(for: .key("+")) == [.key("plus", down: true), .key("plus", down: false)])
        #expect(throws: ReplayError.unknownKey("nosuchkey")) { try plan.inputs(for: .key("nosuchkey")) }
    }

    @Test("Steps keep their recorded pauses, divided by the speed; waits last their seconds")
    func pacing() throws {
        var r = MemoryRecording()
        r.script.at(0, MemoryRecording.frame("f"))
        r.script.click(10, 10, at: 100)  // released at 160 ms
        r.script.click(500, 10, at: 1_160)  // 1 s later
        r.script.click(10, 300, at: 6_000)  // after a wait
        let steps = try r.episodes()[0].steps
        var settings = ReplayPlan.Settings()
        settings.speed = 2
        let pauses = try ReplayPlan(settings: settings).inputs(for: steps).compactMap { if case .pause(let d) = $0 { d } else { nil } }
        // The wait step lasts its recorded 4.8 s (to a tenth), halved.
        #expect(pauses == [.milliseconds(500), .milliseconds(2_400)])
    }
}
