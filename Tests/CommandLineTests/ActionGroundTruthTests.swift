import Datasets
import Foundation
import TestSupport
import Testing
import UnderstudyModel

@Suite("Actions compiled from a real recording", .serialized)
struct ActionGroundTruthTests {
    @Test("An xdotool script of known actions on a real X server compiles, from what the recorder stored, to exactly those actions in order")
    func groundTruth() async throws {
        let session = try await TypingSession()  // types "ab" into the terminal first
        try session.x.xdotool(
            """
            mousemove 200 200
            click 1
            sleep 0.8
            mousemove 300 200
            click --repeat 2 --delay 120 1
            sleep 0.8
            mousemove 400 200
            click --repeat 3 --delay 120 1
            sleep 0.8
            mousemove 250 250
            click 3
            sleep 0.8
            mousemove 100 300
            mousedown 1
            mousemove 150 305
            mousemove 220 312
            mousemove 300 320
            mouseup 1
            sleep 0.8
            mousemove 300 300
            click --repeat 3 --delay 60 5
            sleep 0.8
            type --delay 40 "helo"
            key BackSpace
            type --delay 40 "lo world"
            key Return
            sleep 0.3
            key ctrl+e
            sleep 1.6
            """)
        let events = try session.stop()
        let steps = ActionCompiler().compile(events)
        let actions = steps.map(\.action)
        #expect(
            actions == [
                .type(text: "ab"),
                .click(x: 200, y: 200, button: .left, clicks: 1),
                .click(x: 300, y: 200, button: .left, clicks: 2),
                .click(x: 400, y: 200, button: .left, clicks: 3),
                .click(x: 250, y: 250, button: .right, clicks: 1),
                .drag(from: [100, 300], to: [300, 320], button: .left),
                .scroll(x: 300, y: 300, dx: 0, dy: 3),
                .type(text: "hello world"),
                .key("enter"),
                .hotkey(keys: ["ctrl", "e"]),
                .done,
            ], "\(actions)")
        // Every step but `done` was decided on a frame taken before its first input.
        for (step, observation) in zip(steps, Observations.align(steps, events: events)).dropLast() {
            guard case .success(let seen) = observation else {
                Issue.record("\(step.action.verb) has no observation: \(observation)")
                continue
            }
            #expect(seen.frameNs < step.startNs)
        }
    }
}
