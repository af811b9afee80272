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
        /// The newest frame before the step is older than the limit: the screen may have changed since.
        case stale(frame: String, ageNs: UInt64)

        public var description: String {
            switch self {
            case .none: "no frame before this step"
            case let .stale(frame, age): "the last frame before this step (\(frame)) is \(String(format: "%.1f", Double(age) / 1e9)) s old"
            }
        }
    }

    /// For each step, its observation, or why there is none. Frames older than `maxAge` before
    /// a step are not used for it; a frame taken at the very instant of the input is not "before" it.
    public static func align(_ steps: [ActionCompiler.Step], events: [Event],
                             maxAge: Duration = .seconds(10)) -> [Result<Observation, Missing>] {
        let frames = events.compactMap { e -> (t: UInt64, hash: String)? in
            if case let .frame(hash, _, _, _) = e.body { (e.tNs, hash) } else { nil }
        }
        return steps.map { step in
            // The last frame strictly before the step's first input (frames are in time order).
            var low = 0, high = frames.count
            while low < high {
                let mid = (low + high) / 2
                if frames[mid].t < step.startNs { low = mid + 1 } else { high = mid }
            }
            guard low > 0 else { return .failure(.none) }
            let frame = frames[low - 1], age = step.startNs - frame.t
            guard age <= maxAge.ns else { return .failure(.stale(frame: frame.hash, ageNs: age)) }
            return .success(Observation(frame: frame.hash, frameNs: frame.t, ageNs: age))
        }
    }
}
