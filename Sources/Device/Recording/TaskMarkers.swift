import Capture
import Foundation
import Privacy
import Synchronization
import UnderstudyModel

/// Task boundaries from `understudy task start|end`, held until the flusher stores them.
/// One task is open at a time; its instruction is redacted like typed text before it is kept.
final class TaskMarkers: Sendable {
    private struct State {
        var open: String?
        var pending: [CapturedEvent] = []
    }

    private let state = Mutex(State())
    private let redactor: TextRedactor
    private let originNs: UInt64

    init(redactor: TextRedactor, originNs: UInt64) {
        self.redactor = redactor
        self.originNs = originNs
    }

    /// The open task's (redacted) instruction.
    var open: String? { state.withLock { $0.open } }

    func start(_ instruction: String) -> ControlAnswer {
        let text = redactor.redact(instruction.trimmingCharacters(in: .whitespacesAndNewlines)).text
        guard !text.isEmpty else { return Self.answer(false, "Say what the task is: understudy task start \"INSTRUCTION\".") }
        let now = MonotonicClock.nowNs() &- originNs
        return state.withLock {
            if let open = $0.open {
                return Self.answer(false, "A task is already open (\"\(open)\"): end it first with `understudy task end`.")
            }
            $0.open = text
            $0.pending.append(CapturedEvent(tNs: now, body: .taskStart(instruction: text)))
            return Self.answer(true, "Task started: \(text)")
        }
    }

    func end(failed: Bool) -> ControlAnswer {
        let now = MonotonicClock.nowNs() &- originNs
        return state.withLock {
            guard let open = $0.open else { return Self.answer(false, "No task is open (start one with `understudy task start`).") }
            $0.open = nil
            $0.pending.append(CapturedEvent(tNs: now, body: .taskEnd(outcome: failed ? .failed : .done)))
            return Self.answer(true, "Task \(failed ? "ended as failed" : "done"): \(open)")
        }
    }

    /// The markers not yet stored, in order.
    func take() -> [CapturedEvent] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    private static func answer(_ ok: Bool, _ message: String) -> ControlAnswer {
        ControlAnswer(ok: ok, message: message)
    }
}
