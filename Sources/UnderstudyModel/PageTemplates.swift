import Foundation
import Mustache

/// The Mustache templates a set of pages is written in (the review page's, the console's),
/// compiled once. A page is its template filled from a view: a value whose properties the
/// template names. `{{name}}` escapes what it shows, so a value can never become markup;
/// `{{{name}}}` is for the few pieces code drew itself (a step's figure), escaped there.
///
/// The templates are `.mustache` files embedded in the binary (`.embedInCode` in
/// Package.swift), so a page renders offline and no file on disk can change one. Every set also
/// has the partials here: `{{> csrf}}`, the hidden field every form that acts carries, from
/// the view's `csrf`; and `{{> time}}`, a ``PageTime`` as a `<time>` element.
public struct PageTemplates: Sendable {
    private let library: MustacheLibrary

    /// `files` by name (`exemptions` for `exemptions.mustache`), as their bytes.
    /// A template that does not parse stops the program: it is the program's own text, and
    /// every template is rendered by a test.
    public init(_ files: [String: [UInt8]]) {
        var library = MustacheLibrary()
        for (name, bytes) in files.merging(Self.shared, uniquingKeysWith: { own, _ in own }) {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("the page template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// The page `template` makes of `view`.
    public func render(_ view: Any, _ template: String) -> String {
        guard let page = library.render(view, withTemplate: template) else {
            preconditionFailure("no page template is named \(template)")
        }
        return page
    }

    private static let shared: [String: [UInt8]] = [
        "csrf": Array(#"<input type="hidden" name="csrf" value="{{csrf}}">"#.utf8),
        "time": Array(#"<time datetime="{{iso}}">{{text}}</time>"#.utf8),
    ]
}

/// A moment as a page shows it: machine-readable in `datetime`, in words for the reader.
public struct PageTime: Sendable {
    public var iso: String
    public var text: String

    /// `date` written with `format` (a `DateFormatter` pattern), in `zone` (the local one by default).
    public init(_ date: Date, format: String, zone: TimeZone? = nil) {
        let formatter = DateFormatter()
        formatter.dateFormat = format
        if let zone { formatter.timeZone = zone }
        (iso, text) = (RFC3339.string(from: date), formatter.string(from: date))
    }
}
