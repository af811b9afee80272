import Foundation
import Synchronization

/// Where "now" comes from, for every decision that depends on the date: retention, the
/// review window, exemption periods, code and session expiry, clock-skew checks, sweeps.
///
/// Components take one as a dependency instead of calling `Date()`, so the same code runs
/// on the real clock in production and on a clock a test controls. A test that builds its
/// data at a fixed date then decides against that date too, and does not age past
/// retention when the calendar moves on.
public struct WallClock: Sendable {
    private let reading: @Sendable () -> Date

    /// A clock that reads `reading` each time it is asked.
    public init(_ reading: @escaping @Sendable () -> Date) {
        self.reading = reading
    }

    /// The time now, by this clock.
    public func now() -> Date { reading() }

    /// The system's clock: what production runs on, moved by ``shiftVariable`` when it is set.
    public static let system: WallClock = {
        let shift = WallClock.shift(ProcessInfo.processInfo.environment[shiftVariable])
        return shift == 0 ? WallClock { Date() } : WallClock { Date().addingTimeInterval(shift) }
    }()

    /// `UNDERSTUDY_CLOCK_SHIFT`: a duration (`365d`, or `-2000d` for the past) by which every
    /// component on the system clock, in this process and the processes it starts, moves its
    /// idea of now. CI runs the suite a year ahead with it, so that a test building its data
    /// at a fixed date and deciding against the real clock fails today, not in a year. It
    /// changes only what Understudy takes as now, as setting the computer's clock would.
    public static let shiftVariable = "UNDERSTUDY_CLOCK_SHIFT"

    /// Seconds that `text` (a duration, optionally negative) moves the clock; 0 when unset or not a duration.
    static func shift(_ text: String?) -> TimeInterval {
        guard let text, !text.isEmpty else { return 0 }
        let negative = text.hasPrefix("-")
        guard let duration = DurationText.parse(negative ? String(text.dropFirst()) : text) else { return 0 }
        return negative ? -duration.seconds : duration.seconds
    }

    /// A clock stopped at `date`.
    public static func fixed(_ date: Date) -> WallClock { WallClock { date } }
}

/// A wall clock that moves only when told to: for tests and simulations of days passing.
///
/// Share it between the components under test through ``wallClock``; ``advance(by:)`` moves
/// all of them at once.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date) {
        current = Mutex(start)
    }

    /// The time this clock shows.
    public var now: Date { current.withLock { $0 } }

    /// This clock as the ``WallClock`` components take.
    public var wallClock: WallClock { WallClock { [self] in now } }

    /// Moves the clock on (or back, with a negative interval).
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}
