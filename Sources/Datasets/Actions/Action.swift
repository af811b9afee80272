import Foundation
import UnderstudyModel

/// One training step's action: the verbs of OSWorld's computer_13, each with the pyautogui
/// call that performs it (DESIGN.md, "Action").
public enum Action: Sendable, Equatable {
    case click(x: Int, y: Int, button: PointerButton, clicks: Int)
    case drag(from: [Int], to: [Int], button: PointerButton)
    /// `dy` > 0 scrolls down, `dx` > 0 right, in notches (the event contract's sign).
    case scroll(x: Int, y: Int, dx: Int, dy: Int)
    case type(text: String)
    /// pyautogui key names, modifiers first.
    case hotkey(keys: [String])
    /// One pyautogui key name.
    case key(String)
    case move(x: Int, y: Int)
    case wait(seconds: Double)
    /// The task was achieved: the last step of an episode.
    case done
    /// The contributor ended the task as failed (`understudy task end --failed`): the last step.
    case fail

    /// The contract's `type` string.
    public var verb: String {
        switch self {
        case .click: "click"
        case .drag: "drag"
        case .scroll: "scroll"
        case .type: "type"
        case .hotkey: "hotkey"
        case .key: "key"
        case .move: "move"
        case .wait: "wait"
        case .done: "done"
        case .fail: "fail"
        }
    }

    /// True for the verbs that end an episode.
    public var isTerminal: Bool { self == .done || self == .fail }

    /// The pyautogui code that performs this action, statements joined by "; ".
    public var pyautogui: String { pyautoguiStatements.joined(separator: "; ") }

    /// The pyautogui statements that perform this action, in order, in screen pixels.
    public var pyautoguiStatements: [String] { pyautoguiStatements(in: nil) }

    /// The pyautogui code with coordinates as fractions of `screen` (0-1, four places), as
    /// AgentNet/OpenCUA trajectories write it.
    public func pyautogui(normalizedTo screen: ScreenGeometry) -> String {
        pyautoguiStatements(in: screen).joined(separator: "; ")
    }

    /// `screen` nil: pixels; otherwise fractions of the screen.
    private func pyautoguiStatements(in screen: ScreenGeometry?) -> [String] {
        func x(_ v: Int) -> String { screen.map { String(format: "%.4f", Double(v) / Double(max(1, $0.width))) } ?? "\(v)" }
        func y(_ v: Int) -> String { screen.map { String(format: "%.4f", Double(v) / Double(max(1, $0.height))) } ?? "\(v)" }
        switch self {
        case .click(let px, let py, let button, let clicks):
            let extra = (clicks > 1 ? ", clicks=\(clicks)" : "") + (button == .left ? "" : ", button=\(Self.pythonString(button.rawValue))")
            return ["pyautogui.click(x=\(x(px)), y=\(y(py))\(extra))"]
        case .drag(let from, let to, let button):
            return [
                "pyautogui.moveTo(\(x(from[0])), \(y(from[1])))",
                "pyautogui.dragTo(\(x(to[0])), \(y(to[1])), button=\(Self.pythonString(button.rawValue)))",
            ]
        case .scroll(let px, let py, let dx, let dy):
            // pyautogui scrolls up for positive clicks; the contract's dy > 0 is down.
            var calls: [String] = []
            if dy != 0 { calls.append("pyautogui.scroll(\(-dy), x=\(x(px)), y=\(y(py)))") }
            if dx != 0 { calls.append("pyautogui.hscroll(\(dx), x=\(x(px)), y=\(y(py)))") }
            return calls
        case .type(let text):
            return ["pyautogui.write(\(Self.pythonString(text)))"]
        case .hotkey(let keys):
            return ["pyautogui.hotkey(\(keys.map(Self.pythonString).joined(separator: ", ")))"]
        case .key(let key):
            return ["pyautogui.press(\(Self.pythonString(key)))"]
        case .move(let px, let py):
            return ["pyautogui.moveTo(\(x(px)), \(y(py)))"]
        case .wait(let seconds):
            return ["time.sleep(\(String(format: "%.2f", seconds)))"]
        case .done:
            return ["pass  # done"]
        case .fail:
            return ["pass  # fail"]
        }
    }

    /// The action as the contract's JSON object, with coordinates also normalised to the screen.
    public func json(screen: ScreenGeometry) -> JSONValue {
        func normal(_ v: Int, _ size: Int) -> JSONValue { .double((Double(v) / Double(max(1, size)) * 10000).rounded() / 10000) }
        func point(_ key: String, _ p: [Int]) -> [(String, JSONValue)] {
            [(key, .array(p.map { .int(Int64($0)) })), ("n" + key, .array([normal(p[0], screen.width), normal(p[1], screen.height)]))]
        }
        var fields: [(String, JSONValue)] = [("type", .string(verb))]
        switch self {
        case .click(let x, let y, let button, let clicks):
            fields += [
                ("x", .int(Int64(x))), ("y", .int(Int64(y))), ("nx", normal(x, screen.width)), ("ny", normal(y, screen.height)),
                ("button", .string(button.rawValue)), ("clicks", .int(Int64(clicks))),
            ]
        case .drag(let from, let to, let button):
            fields += point("from", from) + point("to", to) + [("button", .string(button.rawValue))]
        case .scroll(let x, let y, let dx, let dy):
            fields += [
                ("x", .int(Int64(x))), ("y", .int(Int64(y))), ("nx", normal(x, screen.width)), ("ny", normal(y, screen.height)),
                ("dx", .int(Int64(dx))), ("dy", .int(Int64(dy))),
            ]
        case .type(let text):
            fields.append(("text", .string(text)))
        case .hotkey(let keys):
            fields.append(("keys", .array(keys.map { .string($0) })))
        case .key(let key):
            fields.append(("key", .string(key)))
        case .move(let x, let y):
            fields += [("x", .int(Int64(x))), ("y", .int(Int64(y))), ("nx", normal(x, screen.width)), ("ny", normal(y, screen.height))]
        case .wait(let seconds):
            fields.append(("seconds", .double(seconds)))
        case .done, .fail:
            break
        }
        return .object(fields)
    }

    /// A Python string literal of `text`: a JSON string is one (its escapes are Python's too).
    static func pythonString(_ text: String) -> String { JSONValue.string(text).serialized }
}

/// X keysym names as pyautogui names them.
enum PyautoguiKeys {
    static func name(_ keysym: String) -> String {
        if let known = names[keysym] { return known }
        if keysym.count == 1 { return keysym.lowercased() }
        if keysym.hasPrefix("F"), let n = Int(keysym.dropFirst()), (1...24).contains(n) { return "f\(n)" }
        return keysym.lowercased()
    }

    static let modifiers: Set<String> = [
        "Shift_L", "Shift_R", "Control_L", "Control_R", "Alt_L", "Alt_R", "Meta_L", "Meta_R",
        "Super_L", "Super_R", "ISO_Level3_Shift", "Caps_Lock", "Num_Lock",
    ]

    static func name(_ modifier: Modifier) -> String {
        switch modifier {
        case .shift: "shift"
        case .ctrl: "ctrl"
        case .alt: "alt"
        case .super: "win"
        }
    }

    /// X keysyms whose pyautogui name is not their own lowercased. When two keysyms share a name
    /// (Return and KP_Enter), the plain key is listed first.
    static let namedKeys: [(keysym: String, name: String)] = [
        ("Return", "enter"), ("KP_Enter", "enter"), ("Tab", "tab"), ("ISO_Left_Tab", "tab"), ("Escape", "esc"),
        ("BackSpace", "backspace"), ("Delete", "delete"), ("Insert", "insert"), ("Home", "home"), ("End", "end"),
        ("Prior", "pageup"), ("Next", "pagedown"), ("Left", "left"), ("Right", "right"), ("Up", "up"), ("Down", "down"),
        ("space", "space"), ("Print", "printscreen"), ("Menu", "apps"), ("minus", "-"), ("equal", "="), ("comma", ","),
        ("period", "."), ("slash", "/"), ("semicolon", ";"), ("apostrophe", "'"), ("bracketleft", "["), ("bracketright", "]"),
        ("backslash", "\\"), ("grave", "`"), ("exclam", "!"), ("at", "@"), ("numbersign", "#"), ("dollar", "$"),
        ("percent", "%"), ("asciicircum", "^"), ("ampersand", "&"), ("asterisk", "*"), ("parenleft", "("), ("parenright", ")"),
        ("underscore", "_"), ("plus", "+"), ("braceleft", "{"), ("braceright", "}"), ("bar", "|"), ("colon", ":"),
        ("quotedbl", "\""), ("less", "<"), ("greater", ">"), ("question", "?"), ("asciitilde", "~"),
    ]

    private static let names = Dictionary(namedKeys.map { ($0.keysym, $0.name) }, uniquingKeysWith: { first, _ in first })
}
