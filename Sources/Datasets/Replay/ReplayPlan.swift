import Foundation
import UnderstudyModel

/// Turns an episode's actions back into low-level inputs, paced as they were recorded
/// (divided by `speed`): what `understudy replay` performs through XTest.
public struct ReplayPlan: Sendable {
    public struct Settings: Sendable, Equatable {
        /// 2 replays twice as fast as recorded; pauses inside an action (between the clicks of
        /// a double click, between typed characters) keep their own pace.
        public var speed = 1.0
        public var clickGap: Duration = .milliseconds(60)
        public var keyGap: Duration = .milliseconds(15)
        /// Steps of pointer motion in a drag.
        public var dragSteps = 12

        public init() {}
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The inputs for `steps`, with the recorded pauses between steps.
    public func inputs(for steps: [EpisodeStep]) throws(ReplayError) -> [SyntheticInput] {
        var inputs: [SyntheticInput] = []
        for (n, step) in steps.enumerated() {
            if n > 0, !steps[n - 1].isWait, !step.isWait {
                let gap = Double(step.startNs &- steps[n - 1].endNs) / 1e9 / settings.speed
                if gap > 0.001 { inputs.append(.pause(.milliseconds(Int64(gap * 1000)))) }
            }
            inputs += try self.inputs(for: step.action)
        }
        return inputs
    }

    public func inputs(for action: Action) throws(ReplayError) -> [SyntheticInput] {
        switch action {
        case .click(let x, let y, let button, let clicks):
            var out: [SyntheticInput] = [.move(x: x, y: y)]
            for n in 0..<clicks {
                if n > 0 { out.append(.pause(settings.clickGap)) }
                out += [.button(button, down: true), .button(button, down: false)]
            }
            return out
        case .drag(let from, let to, let button):
            var out: [SyntheticInput] = [.move(x: from[0], y: from[1]), .button(button, down: true)]
            for i in 1...settings.dragSteps {
                let f = Double(i) / Double(settings.dragSteps)
                out += [
                    .pause(.milliseconds(16)),
                    .move(
                        x: from[0] + Int((Double(to[0] - from[0]) * f).rounded()),
                        y: from[1] + Int((Double(to[1] - from[1]) * f).rounded())),
                ]
            }
            return out + [.button(button, down: false)]
        case .scroll(let x, let y, let dx, let dy):
            var out: [SyntheticInput] = [.move(x: x, y: y)]
            for _ in 0..<abs(dy) { out += [.scroll(dx: 0, dy: dy.signum()), .pause(settings.keyGap)] }
            for _ in 0..<abs(dx) { out += [.scroll(dx: dx.signum(), dy: 0), .pause(settings.keyGap)] }
            return out
        case .type(let text):
            return text.flatMap { [SyntheticInput.character($0), .pause(settings.keyGap)] }
        case .hotkey(let keys):
            let syms = try keys.map { (name) throws(ReplayError) in try Self.keysym(name) }
            return syms.map { .key($0, down: true) } + syms.reversed().map { .key($0, down: false) }
        case .key(let name):
            let sym = try Self.keysym(name)
            return [.key(sym, down: true), .key(sym, down: false)]
        case .move(let x, let y):
            return [.move(x: x, y: y)]
        case .wait(let seconds):
            return [.pause(.milliseconds(Int64(seconds * 1000 / settings.speed)))]
        case .done, .fail:
            return []
        }
    }

    /// The X keysym for a pyautogui key name.
    static func keysym(_ name: String) throws(ReplayError) -> String {
        if let known = keysyms[name] { return known }
        if name.count == 1, let scalar = name.unicodeScalars.first, scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(name) {
            return name
        }
        if name.hasPrefix("f"), let n = Int(name.dropFirst()), (1...24).contains(n) { return "F\(n)" }
        throw .unknownKey(name)
    }

    /// pyautogui names back to keysyms: the inverse of the compiler's naming, left-hand modifiers.
    private static let keysyms: [String: String] = {
        var table = ["shift": "Shift_L", "ctrl": "Control_L", "alt": "Alt_L", "win": "Super_L", "enter": "Return", "space": "space"]
        for (keysym, name) in PyautoguiKeys.namedKeys where table[name] == nil { table[name] = keysym }
        return table
    }()
}

public enum ReplayError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)

    public var description: String {
        switch self {
        case .unknownKey(let name): "cannot replay the key \"\(name)\": no X key has that name"
        }
    }
}
