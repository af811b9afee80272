import Foundation
import UnderstudyModel

/// Turns a session's raw events into training steps in the action vocabulary (``Action``).
///
/// - A press and release within ``Settings/dragThreshold`` pixels is a click; a click of the
///   same button within ``Settings/multiClickInterval`` and ``Settings/multiClickDistance`` of
///   the one before adds to its count, up to a triple click. Moving farther while pressed is a
///   drag, from the press to the release.
/// - Scroll notches at about the same place within ``Settings/scrollCoalesce`` of each other
///   are one scroll with their notches summed.
/// - Characters typed in a row are one `type` with the text they produced: BackSpace inside the
///   run removes the character before it, and a `redacted` event stands in the text as
///   `[EMAIL]`, `[PASSWORD]`… A run ends at any other key, a click, a scroll, a focus change or
///   a pause of ``Settings/typingBreak``.
/// - Keys with Ctrl, Alt or Super held are a `hotkey` (modifiers first, pyautogui names); other
///   keys outside a run (Return, Tab, Escape, arrows, BackSpace, Delete, F-keys) are a `key`.
///   Modifier keys pressed alone are not steps.
/// - Pointer motion is folded into the step it leads to, kept as the step's `path`.
/// - Input stopping for ``Settings/idleWait`` or more becomes a `wait` step; the last step is `done`.
/// - A step's `target` is the element its first input was aimed at (the `target` event of the
///   press, the first scroll notch or the first key typed), when the accessibility bus named one.
public struct ActionCompiler: Sendable {
    public struct Settings: Sendable, Equatable {
        public var multiClickInterval: Duration = .milliseconds(500)
        public var multiClickDistance = 5
        public var dragThreshold = 5
        public var scrollCoalesce: Duration = .milliseconds(600)
        public var scrollDistance = 20
        public var typingBreak: Duration = .seconds(2)
        public var idleWait: Duration = .seconds(3)

        public init() {}
    }

    /// One step: its action, when its first and last input happened, and the pointer's path
    /// leading to it (x, y, ns since session start).
    public struct Step: Sendable, Equatable {
        public var action: Action
        public var startNs: UInt64
        public var endNs: UInt64
        public var path: [[Int64]]
        /// The element its first input was aimed at, when known.
        public var target: AccessibleElement? = nil
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func compile(_ events: [Event]) -> [Step] {
        var state = State(settings: settings)
        for event in events { state.take(event) }
        return state.finish()
    }

    private struct Press {
        var x: Int, y: Int, button: PointerButton, tNs: UInt64
        var farthest = 0
    }

    private struct State {
        let settings: Settings
        var steps: [Step] = []
        var path: [[Int64]] = []
        var press: Press?
        var lastInputNs: UInt64?
        var lastPointer: (x: Int, y: Int) = (0, 0)
        /// Index in `steps` of the `type` run still open.
        var openRun: Int?
        /// Elements by the time of the input they were aimed at.
        var targets: [UInt64: AccessibleElement] = [:]

        init(settings: Settings) { self.settings = settings }

        mutating func take(_ event: Event) {
            let t = event.tNs
            switch event.body {
            case .pointerMove(let x, let y):
                lastPointer = (x, y)
                path.append([Int64(x), Int64(y), Int64(clamping: t)])
                if var p = press {
                    p.farthest = max(p.farthest, distance(p.x, p.y, x, y))
                    press = p
                }
            case .pointerDown(let x, let y, let button):
                noteInput(t)
                openRun = nil
                lastPointer = (x, y)
                press = Press(x: x, y: y, button: button, tNs: t)
            case .pointerUp(let x, let y, let button):
                guard var p = press, p.button == button else { return }
                press = nil
                p.farthest = max(p.farthest, distance(p.x, p.y, x, y))
                if p.farthest > settings.dragThreshold {
                    add(.drag(from: [p.x, p.y], to: [x, y], button: button), start: p.tNs, end: t)
                } else {
                    click(p, end: t)
                }
            case .scroll(let x, let y, let dx, let dy):
                noteInput(t)
                openRun = nil
                scroll(x: x, y: y, dx: dx, dy: dy, t: t)
            case .keyDown(let key, _, let mods, let text):
                keyDown(key, mods: mods, text: text, t: t)
            case .redacted(let what, _, let token):
                noteInput(t)
                appendText(token ?? "[\(what.rawValue.uppercased())]", t: t)
            case .focus, .pause, .resume, .gap, .taskStart, .taskEnd:
                openRun = nil
            case .target(let of, let element):
                targets[of] = element
            case .keyUp, .frame, .accessibilitySnapshot:
                break
            }
        }

        mutating func finish() -> [Step] {
            // A target's event can come after the step it belongs to was made (the bus answers later).
            for i in steps.indices { steps[i].target = targets[steps[i].startNs] }
            let end = steps.last?.endNs ?? 0
            steps.append(Step(action: .done, startNs: end, endNs: end, path: []))
            return steps
        }

        private mutating func keyDown(_ key: String, mods: [Modifier], text: String?, t: UInt64) {
            if PyautoguiKeys.modifiers.contains(key) { return }
            noteInput(t)
            let chord = mods.filter { $0 != .shift }
            if !chord.isEmpty {
                openRun = nil
                let keys = mods.sorted().map(PyautoguiKeys.name) + [PyautoguiKeys.name(key)]
                add(.hotkey(keys: keys), start: t, end: t)
                return
            }
            if let text, !text.isEmpty, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
                appendText(text, t: t)
                return
            }
            if key == "BackSpace", let run = openRun, case .type(var typed) = steps[run].action, !typed.isEmpty {
                typed.removeLast()
                steps[run].action = .type(text: typed)
                steps[run].endNs = t
                return
            }
            openRun = nil
            add(.key(PyautoguiKeys.name(key)), start: t, end: t)
        }

        private mutating func appendText(_ text: String, t: UInt64) {
            if let run = openRun, case .type(let typed) = steps[run].action, t &- steps[run].endNs < settings.typingBreak.ns {
                steps[run].action = .type(text: typed + text)
                steps[run].endNs = t
                return
            }
            add(.type(text: text), start: t, end: t)
            openRun = steps.count - 1
        }

        private mutating func click(_ p: Press, end: UInt64) {
            if let last = steps.indices.last, case .click(let x, let y, let button, let clicks) = steps[last].action, button == p.button, clicks < 3,
                p.tNs &- steps[last].endNs <= settings.multiClickInterval.ns, distance(x, y, p.x, p.y) <= settings.multiClickDistance
            {
                steps[last].action = .click(x: x, y: y, button: button, clicks: clicks + 1)
                steps[last].endNs = end
                return
            }
            add(.click(x: p.x, y: p.y, button: p.button, clicks: 1), start: p.tNs, end: end)
        }

        private mutating func scroll(x: Int, y: Int, dx: Int, dy: Int, t: UInt64) {
            if let last = steps.indices.last, case .scroll(let sx, let sy, let sdx, let sdy) = steps[last].action,
                t &- steps[last].endNs <= settings.scrollCoalesce.ns, distance(sx, sy, x, y) <= settings.scrollDistance
            {
                steps[last].action = .scroll(x: sx, y: sy, dx: sdx + dx, dy: sdy + dy)
                steps[last].endNs = t
                return
            }
            add(.scroll(x: x, y: y, dx: dx, dy: dy), start: t, end: t)
        }

        /// Inserts a `wait` when input resumes after a long idle.
        private mutating func noteInput(_ t: UInt64) {
            defer { lastInputNs = t }
            guard let last = lastInputNs, t &- last >= settings.idleWait.ns, !steps.isEmpty else { return }
            let seconds = (Double(t - last) / 1e8).rounded() / 10
            steps.append(Step(action: .wait(seconds: seconds), startNs: last, endNs: t, path: []))
            openRun = nil
        }

        private mutating func add(_ action: Action, start: UInt64, end: UInt64) {
            steps.append(Step(action: action, startNs: start, endNs: end, path: path))
            path = []
        }

        private func distance(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Int {
            max(abs(x1 - x0), abs(y1 - y0))
        }
    }
}
