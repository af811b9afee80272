import Crypto
import Foundation
import UnderstudyModel

/// A policy as written: its exact bytes (what is signed and hashed) and what they say.
public struct PolicyDocument: Sendable, Equatable {
    public let text: String
    public let policy: Policy
    /// Where it came from, for messages (`built-in default` for the default policy).
    public let source: String

    /// SHA-256 of the exact bytes, hex: what sessions record and consent is bound to.
    public var hash: String { Self.hash(Data(text.utf8)) }

    static func hash(_ data: Data) -> String { SHA256.hash(data: data).hexDigits }

    /// Validates `text`; every problem names its line.
    public init(text: String, source: String, catalog: Catalog = .shared) throws(DocumentError) {
        self.text = text
        self.source = source
        policy = try PolicyDocument.parse(text, file: source, catalog: catalog)
    }

    public init(contentsOf url: URL, catalog: Catalog = .shared) throws(DocumentError) {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw DocumentError(file: url.path, line: 0, reason: "cannot read the file (missing, unreadable, or not UTF-8)")
        }
        try self.init(text: text, source: url.path, catalog: catalog)
    }

    static let fields = [
        "understudy-policy", "name", "version", "organisation", "audience", "contact", "capture", "rules",
        "default-action", "pause-cap", "pause-hotkey", "review-window", "retention", "redaction", "unknown-site",
        "private-windows",
    ]

    private static func parse(_ text: String, file: String, catalog: Catalog) throws(DocumentError) -> Policy {
        let doc = try YAMLFields.document(text, file: file)
        try doc.rejectUnknown(fields, in: "a policy")
        guard try doc.int("understudy-policy") == 1 else {
            throw DocumentError(
                file: file, line: doc.node("understudy-policy")?.line ?? 1,
                reason: "'understudy-policy' must be 1 (the format version this Understudy reads)")
        }
        guard let version = try doc.int("version"), version >= 1 else { throw doc.error("version", "must be a whole number from 1") }
        var policy = Policy(
            name: try doc.requiredString("name"), version: version, organisation: try doc.requiredString("organisation"),
            audience: try doc.requiredString("audience"), contact: try doc.requiredString("contact"))
        if let capture = try doc.mapping("capture") { policy.capture = try parseCapture(capture) }
        policy.rules = try (doc.mappings("rules") ?? []).map { rule throws(DocumentError) in try parseRule(rule, catalog: catalog) }
        if let action = try doc.string("default-action") { policy.defaultAction = try treatment(action, doc, "default-action") }
        if let action = try doc.string("unknown-site") {
            policy.unknownSite = try treatment(action, doc, "unknown-site")
            let hasSiteRules = policy.rules.contains { if case .site = $0.match { true } else if case .category = $0.match { true } else { false } }
            if policy.unknownSite == .capture, hasSiteRules {
                throw doc.error(
                    "unknown-site",
                    "capture would record the sites the rules exclude whenever a page cannot be read; only a policy with no site or category rules may set it"
                )
            }
        }
        if let action = try doc.string("private-windows") { policy.privateWindows = try treatment(action, doc, "private-windows") }
        if let cap = try duration(doc, "pause-cap") { policy.pauseCapSeconds = cap }
        if let hotkey = try doc.string("pause-hotkey") {
            guard hotkey == "none" || Hotkey(hotkey) != nil else {
                throw doc.error("pause-hotkey", "must be modifiers and a key joined by +, e.g. ctrl+alt+Pause, or none")
            }
            policy.pauseHotkey = hotkey == "none" ? nil : Hotkey(hotkey)
        }
        if let review = try duration(doc, "review-window") { policy.reviewWindowSeconds = review }
        if let retention = try duration(doc, "retention") { policy.retentionSeconds = retention }
        try parseRedaction(doc, into: &policy)
        guard policy.pauseCapSeconds >= 60 else { throw doc.error("pause-cap", "must be at least 1m: contributors must be able to pause") }
        return policy
    }

    /// `redaction` is a list of recognizers (frames showing a finding are stored with it
    /// filled), or a mapping from recognizer to `redact` or `drop-frame` (frames showing one
    /// are not stored at all). Recognizers not named are off.
    private static func parseRedaction(_ doc: YAMLFields, into policy: inout Policy) throws(DocumentError) {
        guard let (node, _) = doc.node("redaction") else { return }
        func kind(_ name: String, _ fields: YAMLFields) throws(DocumentError) -> RedactionKind {
            guard let known = RedactionKind(rawValue: name) else {
                throw fields.error(
                    "redaction", "unknown recognizer '\(name)' (known: \(RedactionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return known
        }
        if node.sequence != nil {
            policy.redaction = Set(try (doc.strings("redaction") ?? []).map { name throws(DocumentError) in try kind(name, doc) })
            return
        }
        guard let choices = try? doc.mapping("redaction") else {
            throw doc.error("redaction", "must be a list of recognizers, or a mapping from recognizer to redact or drop-frame")
        }
        policy.redaction = []
        for name in choices.keys {
            let known = try kind(name, doc)
            switch try choices.string(name) {
            case "redact": policy.redaction.insert(known)
            case "drop-frame":
                policy.redaction.insert(known)
                policy.dropFrames.insert(known)
            default: throw choices.error(name, "must be redact or drop-frame")
            }
        }
    }

    private static func parseCapture(_ fields: YAMLFields) throws(DocumentError) -> Policy.Capture {
        try fields.rejectUnknown(
            ["pointer", "keys", "text", "frames", "frame-period", "accessibility", "accessibility-snapshots", "urls"], in: "'capture'")
        var capture = Policy.Capture()
        capture.pointer = try fields.bool("pointer") ?? capture.pointer
        capture.keys = try fields.bool("keys") ?? capture.keys
        capture.text = try fields.bool("text") ?? capture.text
        capture.frames = try fields.bool("frames") ?? capture.frames
        capture.accessibility = try fields.bool("accessibility") ?? capture.accessibility
        capture.accessibilitySnapshots = try fields.bool("accessibility-snapshots") ?? capture.accessibilitySnapshots
        switch try fields.string("urls") {
        case nil, "path": capture.urlPaths = true
        case "host": capture.urlPaths = false
        case let other?: throw fields.error("urls", "'\(other)' is not path or host")
        }
        if let period = try duration(fields, "frame-period") {
            guard period >= 1 else { throw fields.error("frame-period", "must be at least 1s") }
            capture.framePeriodSeconds = period
        }
        if capture.text && !capture.keys { throw fields.error("text", "needs keys: true (text comes from key presses)") }
        return capture
    }

    private static func parseRule(_ fields: YAMLFields, catalog: Catalog) throws(DocumentError) -> Policy.Rule {
        try fields.rejectUnknown(["app", "title", "site", "category", "action"], in: "a rule")
        let matches = ["app", "title", "site", "category"].filter { fields.keys.contains($0) }
        guard matches.count == 1 else {
            throw DocumentError(
                file: fields.file, line: fields.line, reason: "a rule needs exactly one of app, title, site, category (it has \(matches.count))")
        }
        let key = matches[0]
        let value = try fields.requiredString(key)
        let match: Policy.Match
        switch key {
        case "app": match = .app(value)
        case "title": match = .title(value)
        case "site":
            let host = value.lowercased()
            guard host.contains("."), !host.contains("/"), !host.contains(":"), !host.contains(" ") else {
                throw fields.error("site", "'\(value)' is not a host name (write example.com, no scheme or path)")
            }
            match = .site(host)
        default:
            guard catalog.categories[value] != nil else {
                throw fields.error("category", "unknown category '\(value)' (known: \(catalog.categories.keys.sorted().joined(separator: ", ")))")
            }
            match = .category(value)
        }
        return Policy.Rule(match: match, action: try treatment(try fields.requiredString("action"), fields, "action"))
    }

    private static func treatment(_ text: String, _ fields: YAMLFields, _ key: String) throws(DocumentError) -> WindowTreatment {
        guard let action = WindowTreatment(rawValue: text) else {
            throw fields.error(key, "'\(text)' is not an action (capture, structure-only, exclude)")
        }
        return action
    }

    private static func duration(_ fields: YAMLFields, _ key: String) throws(DocumentError) -> Double? {
        guard let text = try fields.string(key) else { return nil }
        guard let duration = DurationText.parse(text) else { throw fields.error(key, "'\(text)' is not a duration (90s, 15m, 2h, 7d)") }
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
