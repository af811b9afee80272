import Foundation

/// The element an action was aimed at, as the accessibility bus describes it: what a screen
/// reader would say of the button clicked or the field typed into. It is the `target` event's
/// content and a training step's `target` (DESIGN.md, "Element targets").
public struct AccessibleElement: Sendable, Equatable {
    /// The accessible role's name, e.g. `push button`, `entry`, `link`.
    public var role: String
    /// The accessible name (a button's label, a field's label), after the text recognizers.
    public var name: String
    /// A short description, when the element has one (at most ``descriptionLimit`` characters).
    public var description: String?
    /// The states that matter to an agent: `focused`, `checked`, `selected`, `editable`,
    /// `enabled`, `pressed`, `expanded`.
    public var states: [String]
    /// x, y, width, height in screen pixels.
    public var bounds: [Int]
    /// The application's name on the bus.
    public var app: String
    /// The roles of the element's ancestors, from its parent up to the window.
    public var ancestors: [String]
    /// The element's place in its window's tree (child indexes from the window, joined by
    /// `/`): the same element has the same id for as long as the page's tree keeps its shape.
    public var id: String

    public static let descriptionLimit = 200

    public init(
        role: String, name: String, description: String? = nil, states: [String] = [], bounds: [Int], app: String, ancestors: [String] = [],
        id: String
    ) {
        self.role = role
        self.name = name
        self.description = description
        self.states = states
        self.bounds = bounds
        self.app = app
        self.ancestors = ancestors
        self.id = id
    }

    /// The contract's fields, in order.
    public var fields: [(String, JSONValue)] {
        var f: [(String, JSONValue)] = [("role", .string(role)), ("name", .string(name))]
        if let description { f.append(("description", .string(description))) }
        f += [
            ("states", .array(states.map { .string($0) })), ("bounds", .array(bounds.map { .int(Int64($0)) })), ("app", .string(app)),
            ("ancestors", .array(ancestors.map { .string($0) })), ("id", .string(id)),
        ]
        return f
    }

    public var json: JSONValue { .object(fields) }

    /// Reads the fields back; nil when one is missing or of the wrong type.
    public init?(json f: JSONValue) {
        guard let role = f["role"]?.stringValue, let name = f["name"]?.stringValue, let app = f["app"]?.stringValue,
            let id = f["id"]?.stringValue, let bounds = f["bounds"]?.arrayValue?.compactMap({ $0.intValue.map(Int.init) }), bounds.count == 4
        else { return nil }
        self.init(
            role: role, name: name, description: f["description"]?.stringValue,
            states: f["states"]?.arrayValue?.compactMap(\.stringValue) ?? [], bounds: bounds, app: app,
            ancestors: f["ancestors"]?.arrayValue?.compactMap(\.stringValue) ?? [], id: id)
    }

    /// `button "Send"`: how a script's comment or a page's tooltip names it.
    public var summary: String { name.isEmpty ? role : "\(role) \"\(name)\"" }
}
