import Foundation

/// What the accessibility bus showed of the focused window when a frame was stored: its
/// showing subtree, depth first, bounded in nodes, depth and time. It is the `a11y` event's
/// content and a WebDataset sample's `a11y.json` (README, "Accessibility snapshots").
///
/// Only names are read, never text contents, so what is typed into a field is not in it; a
/// password field's name is left empty too.
public struct AccessibilitySnapshot: Sendable, Equatable {
    /// One element of the window.
    public struct Node: Sendable, Equatable {
        /// The accessible role's name, e.g. `push button`, `entry`, `link`.
        public var role: String
        /// The accessible name, after the text recognizers.
        public var name: String
        /// The states that matter to an agent, as in ``AccessibleElement/states``.
        public var states: [String]
        /// x, y, width, height in screen pixels.
        public var bounds: [Int]
        /// The parent's index in ``AccessibilitySnapshot/nodes`` (always an earlier one); nil
        /// for the window's own children.
        public var parent: Int?

        public init(role: String, name: String, states: [String] = [], bounds: [Int], parent: Int?) {
            self.role = role
            self.name = name
            self.states = states
            self.bounds = bounds
            self.parent = parent
        }

        var json: JSONValue {
            .object([
                ("role", .string(role)), ("name", .string(name)), ("states", .array(states.map { .string($0) })),
                ("bounds", .array(bounds.map { .int(Int64($0)) })), ("parent", parent.map { .int(Int64($0)) } ?? .null),
            ])
        }

        /// Reads a node back; nil when a field is missing, of the wrong type, or the parent is
        /// not an earlier node.
        init?(json f: JSONValue, index: Int) {
            guard let role = f["role"]?.stringValue, let name = f["name"]?.stringValue,
                let bounds = f["bounds"]?.arrayValue?.compactMap({ $0.intValue.map(Int.init) }), bounds.count == 4
            else { return nil }
            let parent = f["parent"]?.intValue.map(Int.init)
            if let parent, parent < 0 || parent >= index { return nil }
            self.init(role: role, name: name, states: f["states"]?.arrayValue?.compactMap(\.stringValue) ?? [], bounds: bounds, parent: parent)
        }
    }

    public var nodes: [Node]
    /// The walk stopped at its node limit or its time budget: elements are missing.
    public var truncated: Bool

    public init(nodes: [Node], truncated: Bool = false) {
        self.nodes = nodes
        self.truncated = truncated
    }

    /// The contract's fields, in order.
    public var fields: [(String, JSONValue)] { [("truncated", .bool(truncated)), ("nodes", nodesJSON)] }

    /// The nodes as the contract writes them: an array of objects.
    public var nodesJSON: JSONValue { .array(nodes.map(\.json)) }

    /// Reads the fields back; nil when one is missing or invalid.
    public init?(json f: JSONValue) {
        guard let truncated = f["truncated"]?.boolValue, let list = f["nodes"]?.arrayValue else { return nil }
        var nodes: [Node] = []
        for (index, item) in list.enumerated() {
            guard let node = Node(json: item, index: index) else { return nil }
            nodes.append(node)
        }
        self.init(nodes: nodes, truncated: truncated)
    }
}
