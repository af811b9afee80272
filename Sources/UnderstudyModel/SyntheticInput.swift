import Foundation

/// One low-level input to perform on a display: what replay plans (Datasets) and an input
/// injector (Capture, through XTest) carries out.
public enum SyntheticInput: Sendable, Equatable {
    /// Moves the pointer to root-window pixels.
    case move(x: Int, y: Int)
    case button(PointerButton, down: Bool)
    /// One scroll notch: `dy` > 0 down, `dx` > 0 right (the event contract's sign).
    case scroll(dx: Int, dy: Int)
    /// A key by its X keysym name (`Return`, `Control_L`, `a`).
    case key(String, down: Bool)
    /// Types one character, with whatever key and Shift level produce it.
    case character(Character)
    case pause(Duration)
}
