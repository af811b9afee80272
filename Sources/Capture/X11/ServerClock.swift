import CX11

/// Maps X server timestamps (32-bit milliseconds) onto the monotonic clock.
///
/// The X server stamps input with `CLOCK_MONOTONIC` milliseconds on Linux, so the two
/// clocks agree and events keep the server's exact times. The offset is measured once with
/// a property round trip; if it is large (a remote or differently clocked server), it is
/// applied instead.
struct ServerClock {
    private(set) var offsetMs: Int64 = 0

    init(display: X11Display) {
        let window = XCreateSimpleWindow(display.handle, display.root, -10, -10, 1, 1, 0, 0, 0)
        defer { XDestroyWindow(display.handle, window) }
        XSelectInput(display.handle, window, PropertyChangeMask)
        let atom = display.atom("_UNDERSTUDY_CLOCK")
        var byte: UInt8 = 0
        XChangeProperty(display.handle, window, atom, XA_INTEGER, 8, PropModeReplace, &byte, 1)
        var event = XEvent()
        XWindowEvent(display.handle, window, PropertyChangeMask, &event)
        let nowMs = Int64(MonotonicClock.nowNs() / 1_000_000)
        let serverMs = Self.lift(UInt32(truncatingIfNeeded: event.xproperty.time), near: nowMs)
        let offset = nowMs - serverMs
        offsetMs = abs(offset) < 50 ? 0 : offset
    }

    /// Monotonic nanoseconds of a server timestamp (taken recently: within ~24 days).
    func monotonicNs(serverMs: UInt32) -> UInt64 {
        let nowMs = Int64(MonotonicClock.nowNs() / 1_000_000)
        let ms = Self.lift(serverMs, near: nowMs - offsetMs) + offsetMs
        return UInt64(max(0, ms)) * 1_000_000
    }

    /// Puts the 32-bit value next to `reference`, undoing wrap-around.
    static func lift(_ value: UInt32, near reference: Int64) -> Int64 {
        var candidate = (reference & ~0xFFFF_FFFF) | Int64(value)
        if candidate > reference + 0x8000_0000 { candidate -= 0x1_0000_0000 }
        if candidate < reference - 0x8000_0000 { candidate += 0x1_0000_0000 }
        return candidate
    }
}
