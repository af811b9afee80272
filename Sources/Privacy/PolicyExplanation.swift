import Foundation
import UnderstudyModel

/// A policy in plain words, for the contributor who is asked to consent to it: what is
/// captured, what never is, who sees it, how long it is kept, and how to pause.
public enum PolicyExplanation {
    public static func text(_ document: PolicyDocument, catalog: Catalog = .shared) -> String {
        let p = document.policy
        var lines: [String] = []
        lines.append("Understudy policy \"\(p.name)\", version \(p.version), from \(p.organisation).")
        lines.append("Policy fingerprint: \(document.hash.prefix(16)) (\(document.source)).")
        lines.append("")
        lines.append("While you work, Understudy records:")
        if p.capture.pointer { lines.append("  - where you move and click the pointer, and how you scroll;") }
        if p.capture.keys && p.capture.text {
            lines.append("  - the keys you press and the text you type. Before anything is stored it removes \(redacted(p));")
        } else if p.capture.keys {
            lines.append("  - when you press keys, but not which keys or what you type;")
        }
        if p.capture.frames {
            lines.append(
                "  - pictures of your screen when you click, type, scroll or switch windows, and every \(PolicyComparison.seconds(p.capture.framePeriodSeconds)) at most while it changes;"
            )
            if !p.redaction.isEmpty {
                lines.append("    text on them is read on this computer first, and \(redacted(p)) are blacked out before a picture is stored;")
            }
            let dropped = RedactionKind.allCases.filter(p.dropFrames.contains)
            if !dropped.isEmpty {
                lines.append("    a picture showing \(redacted(dropped)) is not stored at all;")
            }
        }
        if p.capture.accessibility {
            lines.append(
                "  - what the accessibility bus says of windows: a browser page's address, and the button or field each click or typing was aimed at (its label, with the same values removed);"
            )
            if p.capture.frames && p.capture.accessibilitySnapshots {
                lines.append(
                    "    with each screen picture, the labels and places of the elements of the window in front (never what is typed into a field);")
            }
        }
        lines.append("  - which app and window title are in front.")
        lines.append("")
        lines.append("It never records, whatever the policy says:")
        switch p.privateWindows {
        case .exclude: lines.append("  - private or incognito browser windows, and password prompts.")
        case .structureOnly, .capture: lines.append("  - password prompts.")
        }
        if p.privateWindows == .structureOnly {
            lines.append("Private or incognito browser windows get timing only (no text, blanked in pictures).")
        } else if p.privateWindows == .capture {
            lines.append("Private or incognito browser windows are recorded like any other window: this policy allows them.")
        }
        let excluded = describe(p.rules.filter { $0.action == .exclude }, catalog: catalog)
        if !excluded.isEmpty {
            lines.append("This policy also keeps out entirely:")
            lines += excluded.map { "  - \($0);" }
        }
        lines.append("Windows kept out are also blanked in every screen picture, even in the background, and")
        lines.append("while one of them is in front nothing at all is stored (a gap marks the time).")
        let structure = describe(p.rules.filter { $0.action == .structureOnly }, catalog: catalog)
        if !structure.isEmpty {
            lines.append("")
            lines.append("For these, only the timing of your clicks and keys is kept, no text, no title, and they are blanked in pictures:")
            lines += structure.map { "  - \($0);" }
        }
        let allowed = describe(p.rules.filter { $0.action == .capture }, catalog: catalog)
        lines.append("")
        switch p.defaultAction {
        case .capture: lines.append("Every other app and site is recorded as above.")
        case .structureOnly: lines.append("Every other app and site gets timing only (no text, blanked in pictures).")
        case .exclude: lines.append("Every other app and site is kept out entirely.")
        }
        if !allowed.isEmpty, p.defaultAction != .capture {
            lines.append("Recorded in full: " + allowed.joined(separator: "; ") + ".")
        }
        lines.append("")
        lines.append("Who can see it: \(p.audience).")
        lines.append("Questions about this policy: \(p.contact).")
        lines.append(
            "How long it is kept: it waits on this computer for \(PolicyComparison.seconds(p.reviewWindowSeconds)) so you can review and delete it before"
        )
        lines.append(
            "anything is uploaded, and is deleted from this computer after \(PolicyComparison.seconds(p.retentionSeconds)). It is encrypted on disk.")
        lines.append("")
        lines.append("You are in control:")
        lines.append(
            "  - `understudy pause [DURATION]` stops recording for up to \(PolicyComparison.seconds(p.pauseCapSeconds)) at a time (it resumes by itself); `understudy resume` resumes;"
        )
        if let hotkey = p.pauseHotkey {
            lines.append(
                "  - pressing \(hotkey) anywhere pauses recording the same way, and pressing it again resumes; its key presses are not recorded;")
        }
        lines.append("  - `understudy exempt add --app NAME | --site HOST | --title PATTERN` keeps more out, for you, at once;")
        lines.append("  - `understudy status` shows whether recording is on; `understudy forget` deletes what was recorded;")
        lines.append("  - `understudy consent withdraw` stops recording under this policy.")
        lines.append("No one gets a report about you: the recording teaches software agents how apps are used.")
        return lines.joined(separator: "\n")
    }

    private static func redacted(_ p: Policy) -> String {
        redacted(RedactionKind.allCases.filter(p.redaction.contains))
    }

    private static func redacted(_ kinds: [RedactionKind]) -> String {
        let names: [RedactionKind: String] = [
            .email: "email addresses", .phone: "phone numbers", .creditCard: "card numbers", .iban: "bank account numbers (IBAN)",
            .ssn: "social security numbers", .secret: "passwords, keys and tokens", .password: "passwords you type",
            .custom: "your organisation's own patterns",
            .personName: "other people's names (each person becomes a numbered stand-in such as ⟨person:3⟩, the same all session)",
        ]
        let on = kinds.compactMap { names[$0] }
        return on.isEmpty ? "nothing (redaction is off in this policy)" : on.joined(separator: ", ")
    }

    private static func describe(_ rules: [Policy.Rule], catalog: Catalog) -> [String] {
        rules.map { rule in
            switch rule.match {
            case .category(let id):
                let count = catalog.entries.count { $0.category == id }
                return "\(catalog.categories[id]?.title.lowercased() ?? id) (\(count) apps and sites in Understudy's catalog)"
            case .app(let app): return "the app \(app)"
            case .site(let site): return "the site \(site) and its subdomains"
            case .title(let pattern): return "windows titled like \"\(pattern)\""
            }
        }
    }
}
