import Foundation
import UnderstudyModel

/// Which stored frame each step was decided on: the last frame taken before the input that
/// began the step (DESIGN.md: "the observation of step k").
public enum Observations {
    /// A step's observation: the frame, and how long before the step's first input it was taken.
    public struct Observation: Sendable, Equatable {
        public var frame: String
        public var frameNs: UInt64
        public var ageNs: UInt64

        public init(frame: String, frameNs: UInt64, ageNs: UInt64) {
            self.frame = frame
            self.frameNs = frameNs
            self.ageNs = ageNs
        }
    }

    /// Why a step has no observation.
    public enum Missing: Error, Sendable, Equatable, CustomStringConvertible {
        /// No frame was taken before the step.
        case none
        /// Recording was paused or in a gap after the newest frame before the step, or that frame
        /// is older than the limit: the screen may have changed without a frame being stored.
        case stale(frame: String, ageNs: UInt64)
        /// The newest frame before the step was withheld by redaction: its pixels were never stored.
        case withheld(frame: String, reason: String)

        public var description: String {
            switch self {
            case .none: "no frame before this step"
            case .stale(let frame, let age):
                "the last frame before this step (\(frame), \(String(format: "%.1f", Double(age) / 1e9)) s earlier) may be out of date: recording paused or stopped storing frames since, or it is too old"
            case .withheld(let frame, let reason): "the last frame before this step (\(frame)) was withheld (\(reason))"
            }
        }
    }

    /// A stored frame's place in time: from a `frame` event.
    public struct FrameMark: Sendable, Equatable {
        public var tNs: UInt64
        public var hash: String
    }

    /// The `frame` events of a session, in time order.
    public static func frames(in events: [Event]) -> [FrameMark] {
        events.compactMap { e -> FrameMark? in
            if case .frame(let hash, _, _, _) = e.body { FrameMark(tNs: e.tNs, hash: hash) } else { nil }
        }.sorted { $0.tNs < $1.tNs }
    }

    /// The last frame taken strictly before `t`, if any.
    public static func last(before t: UInt64, in frames: [FrameMark]) -> FrameMark? {
        let end = frames.countInTime(upTo: t, including: false) { $0.tNs }
        return end > 0 ? frames[end - 1] : nil
    }

    /// For each step, its observation, or why there is none.
    ///
    /// The recorder stores a frame whenever the screen changed (and skips identical ones), so
    /// the last frame before a step shows the screen as it was, however old, as long as
    /// capture ran throughout. It is not used when one of `interruptions` (pauses, gaps: times
    /// frames were not stored) falls between it and the step, nor when it is older than
    /// `maxAge`. A frame taken at the very instant of the input is not "before" it. `withheld`
    /// says, for a frame hash, why its pixels were not stored (nil: they were).
    public static func align(
        _ steps: [ActionCompiler.Step], frames: [FrameMark], maxAge: Duration = .seconds(600),
        interruptions: [(from: UInt64, to: UInt64)] = [],
        withheld: (String) -> String? = { _ in nil }
    ) -> [Result<Observation, Missing>] {
        steps.map { step in
            guard let frame = last(before: step.startNs, in: frames) else { return .failure(.none) }
            let age = step.startNs - frame.tNs
            let interrupted = interruptions.contains { $0.from < step.startNs && $0.to > frame.tNs }
            guard age <= maxAge.ns, !interrupted else { return .failure(.stale(frame: frame.hash, ageNs: age)) }
            if let reason = withheld(frame.hash) { return .failure(.withheld(frame: frame.hash, reason: reason)) }
            return .success(Observation(frame: frame.hash, frameNs: frame.tNs, ageNs: age))
        }
    }

    /// ``align(_:frames:maxAge:withheld:)`` with the frames of `events`.
    public static func align(_ steps: [ActionCompiler.Step], events: [Event], maxAge: Duration = .seconds(600)) -> [Result<Observation, Missing>] {
        align(steps, frames: frames(in: events), maxAge: maxAge)
    }
}

extension Array {
    /// How many leading elements (in time order) come before `t`, or at it when `including`:
    /// the index just past the last of them, found by bisection.
    func countInTime(upTo t: UInt64, including: Bool, _ time: (Element) -> UInt64) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if time(self[mid]) < t || (including && time(self[mid]) == t) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
