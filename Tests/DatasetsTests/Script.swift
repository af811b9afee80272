import Datasets
import Foundation
import UnderstudyModel

/// Builds an event stream the way capture delivers it: time in milliseconds, seq in order.
struct Script {
    var events: [Event] = []
    var ms: UInt64 = 0

    mutating func at(_ ms: UInt64, _ body: EventBody) {
        self.ms = ms
        events.append(Event(seq: Int64(events.count), tNs: ms * 1_000_000, wall: Date(timeIntervalSince1970: 0), body: body))
    }

    mutating func click(_ x: Int, _ y: Int, at ms: UInt64, button: PointerButton = .left) {
        at(ms, .pointerDown(x: x, y: y, button: button))
        at(ms + 60, .pointerUp(x: x, y: y, button: button))
    }

    mutating func type(_ text: String, from ms: UInt64) {
        for (i, c) in text.enumerated() {
            at(ms + UInt64(i) * 80, .keyDown(key: String(c), keycode: 0, mods: [], text: String(c)))
            at(ms + UInt64(i) * 80 + 30, .keyUp(key: String(c), keycode: 0, mods: []))
        }
    }

    mutating func key(_ key: String, at ms: UInt64, mods: [Modifier] = []) {
        at(ms, .keyDown(key: key, keycode: 0, mods: mods, text: nil))
        at(ms + 30, .keyUp(key: key, keycode: 0, mods: mods))
    }

    var actions: [Action] { ActionCompiler().compile(events).map(\.action) }
}
