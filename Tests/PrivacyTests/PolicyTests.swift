import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

/// A complete, valid policy; tests change one thing at a time.
let basePolicy = """
    understudy-policy: 1
    name: acme-engineering
    version: 3
    organisation: ACME Corp
    audience: the ACME ML data team
    contact: privacy@acme.example
    capture:
      pointer: true
      keys: true
      text: true
      frames: true
      frame-period: 5s
    rules:
      - category: banking
        action: exclude
      - app: KeePassXC
        action: exclude
      - title: "*payroll*"
        action: structure-only
      - site: github.com
        action: capture
    default-action: capture
    pause-cap: 30m
    review-window: 24h
    retention: 7d
    redaction: [email, phone, credit_card, iban, ssn, secret, password]

    """

func policy(_ text: String) throws -> Policy { try PolicyDocument(text: text, source: "test.yaml").policy }

@Suite("Policy documents")
struct PolicyDocumentTests {
    @Test("A complete policy reads into exactly what it says")
    func reads() throws {
        let p = try policy(basePolicy)
        #expect(p.name == "acme-engineering" && p.version == 3 && p.organisation == "ACME Corp")
        #expect(
            p.rules == [
                .init(match: .category("banking"), action: .exclude), .init(match: .app("KeePassXC"), action: .exclude),
                .init(match: .title("*payroll*"), action: .structureOnly), .init(match: .site("github.com"), action: .capture),
            ])
        #expect(p.pauseCapSeconds == 1800 && p.reviewWindowSeconds == 86400 && p.retentionSeconds == 604_800)
        #expect(p.capture.framePeriodSeconds == 5 && p.redaction.count == 7)
    }

    @Test("Redaction may name, per recognizer, whether a frame showing a finding is redacted or dropped whole")
    func redactionChoices() throws {
        let p = try policy(
            basePolicy.replacingOccurrences(
                of: "redaction: [email, phone, credit_card, iban, ssn, secret, password]",
                with: "redaction:\n  email: redact\n  credit_card: drop-frame\n  secret: drop-frame"))
        #expect(p.redaction == [.email, .creditCard, .secret])
        #expect(p.dropFrames == [.creditCard, .secret])
        #expect(try policy(basePolicy).dropFrames.isEmpty)
        let text = PolicyExplanation.text(
            try PolicyDocument(
                text: basePolicy.replacingOccurrences(of: "[email, phone,", with: "{email: redact, phone: drop-frame,")
                    .replacingOccurrences(of: "secret, password]", with: "secret: redact}").replacingOccurrences(
                        of: "credit_card, iban, ssn,", with: "credit_card: redact,"),
                source: "test.yaml"))
        #expect(text.contains("a picture showing phone numbers is not stored at all"), "\(text)")
    }

    @Test(
        "The pause hotkey is ctrl+alt+Pause unless the policy names another chord or none, and the policy's plain words say how to use it"
    )
    func pauseHotkey() throws {
        #expect(try policy(basePolicy).pauseHotkey == Hotkey(modifiers: [.ctrl, .alt], key: "Pause"))
        let other = try policy(basePolicy.replacingOccurrences(of: "pause-cap: 30m", with: "pause-cap: 30m\npause-hotkey: Control+Shift+F12"))
        #expect(other.pauseHotkey == Hotkey(modifiers: [.ctrl, .shift], key: "F12"))
        #expect(other.pauseHotkey?.description == "shift+ctrl+F12")
        #expect(try policy(basePolicy.replacingOccurrences(of: "pause-cap: 30m", with: "pause-cap: 30m\npause-hotkey: none")).pauseHotkey == nil)
        let explained = PolicyExplanation.text(try PolicyDocument(text: basePolicy, source: "test.yaml"))
        #expect(explained.contains("pressing ctrl+alt+Pause anywhere pauses recording"), "\(explained)")
    }

    /// (the policy, the line the error must name, words the reason must contain)
    static let malformedCases: [(String, Int, String)] = {
        func edit(_ from: String, _ to: String) -> String { basePolicy.replacingOccurrences(of: from, with: to) }
        return [
            ("colour: red\n" + basePolicy, 1, "unknown field 'colour'"),
            (edit("action: structure-only", "action: maybe"), 19, "'maybe' is not an action"),
            (edit("  - site: github.com\n", "  - site: github.com\n    app: Code\n"), 20, "exactly one of app, title, site, category"),
            (edit("category: banking", "category: bankz"), 14, "unknown category 'bankz'"),
            (edit("pause-cap: 30m", "pause-cap: soon"), 23, "'soon' is not a duration"),
            (edit("site: github.com", "site: https://github.com/x"), 20, "is not a host name"),
            (edit("pointer: true", "pointer: sometimes"), 8, "must be true or false"),
            (edit("  keys: true", "  keys: [true"), 10, "not valid YAML"),
            (edit("name: acme-engineering\n", ""), 1, "'name' is missing"),
            (edit("version: 3\n", "version: 3\nversion: 4\n"), 4, "'version' is given twice"),
            (edit("pause-cap: 30m", "pause-cap: 10s"), 23, "at least 1m"),
            (edit("pause-cap: 30m", "pause-cap: 30m\npause-hotkey: ctrl+"), 24, "e.g. ctrl+alt+Pause, or none"),
            (edit("pause-cap: 30m", "pause-cap: 30m\npause-hotkey: hyper+F12"), 24, "e.g. ctrl+alt+Pause, or none"),
            (edit("ssn, secret", "ssn, secrets"), 26, "unknown recognizer 'secrets'"),
            (
                edit("redaction: [email, phone, credit_card, iban, ssn, secret, password]", "redaction:\n  email: redact\n  credit_card: hide"), 28,
                "'credit_card': must be redact or drop-frame"
            ),
            (
                edit("redaction: [email, phone, credit_card, iban, ssn, secret, password]", "redaction: email"), 26,
                "must be a list of recognizers, or a mapping"
            ),
            (edit("understudy-policy: 1", "understudy-policy: 2"), 1, "must be 1"),
            (edit("  text: true", "  colour: blue"), 10, "unknown field 'colour' in 'capture'"),
        ]
    }()

    @Test("Each malformed policy is refused with the line and the reason", arguments: malformedCases)
    func malformed(text: String, line: Int, reason: String) throws {
        do {
            _ = try PolicyDocument(text: text, source: "test.yaml")
            Issue.record("accepted: \(reason)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("test.yaml:\(line): "))
        }
    }

    @Test("The built-in default policy is valid, excludes every sensitive catalog category, and explains itself")
    func defaultPolicy() throws {
        let document = DefaultPolicy.document
        let excluded = Set(
            document.policy.rules.filter { $0.action == .exclude }.compactMap { rule -> String? in
                if case .category(let c) = rule.match { c } else { nil }
            })
        // Private browsing is kept out by the policy's private-windows (exclude by default), not a rule.
        #expect(excluded.union(WindowRules.floorCategories + [Catalog.privateBrowsing]) == Set(Catalog.shared.sensitiveCategories))
        #expect(document.policy.privateWindows == .exclude)
        #expect(document.policy.pauseCapSeconds == 1800 && document.policy.capture.text && document.policy.redaction.count == 8)
        let text = PolicyExplanation.text(document)
        for phrase in ["records", "never records", "Who can see it", "How long it is kept", "understudy pause", "banking and payments"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }
}

@Suite("App and site catalog")
struct CatalogTests {
    @Test("The catalog holds at least 200 apps and sites, in every category the issue names")
    func size() {
        let catalog = Catalog.shared
        #expect(catalog.entries.count >= 200)
        for category in [
            "password-manager", "banking", "health", "hr-payroll", "legal", "personal-email", "personal-messaging", "dating",
            "communication", "office", "developer-tools", "browser", "design", "authentication", "private-browsing",
        ] {
            #expect(catalog.entries.contains { $0.category == category }, "\(category)")
        }
    }

    @Test("Windows are matched by WM_CLASS, by a host in the title or URL (subdomains too), and by title words")
    func matching() {
        let catalog = Catalog.shared
        func window(_ app: String, _ title: String, url: String? = nil) -> WindowContext {
            WindowContext(app: app, title: title, pid: nil, window: 1, rect: [0, 0, 1, 1], url: url)
        }
        #expect(catalog.categories(of: window("keepassxc", "Passwords.kdbx")).contains("password-manager"))
        #expect(catalog.categories(of: window("firefox", "Sign in — secure.chase.com — Mozilla Firefox")).contains("banking"))
        #expect(catalog.categories(of: window("firefox", "Account", url: "https://www.paypal.com/myaccount")).contains("banking"))
        #expect(catalog.categories(of: window("Navigator", "Mozilla Firefox Private Browsing")).contains("private-browsing"))
        #expect(catalog.categories(of: window("firefox", "notchase.com — Firefox")).contains("banking") == false)
        #expect(catalog.categories(of: window("XTerm", "vim notes.txt")).contains("banking") == false)
    }
}

@Suite("Window rules")
struct WindowRulesTests {
    let rules = WindowRules(policy: try! policy(basePolicy))

    func window(_ app: String, _ title: String, url: String? = nil) -> WindowContext {
        WindowContext(app: app, title: title, pid: nil, window: 1, rect: [0, 0, 1, 1], url: url)
    }

    @Test("The most restrictive matching rule wins; no match gets the default action; a browser page with no known address is unknown-site")
    func mostRestrictive() {
        #expect(rules.treatment(of: window("KeePassXC", "db")) == .exclude)
        #expect(rules.treatment(of: window("firefox", "Q3 Payroll run - github.com", url: "https://github.com/payroll")) == .structureOnly)
        #expect(rules.treatment(of: window("firefox", "Pull request - github.com", url: "https://github.com/pulls")) == .capture)
        // The same page with its address unknown: site rules cannot be applied, so it fails closed.
        #expect(rules.treatment(of: window("firefox", "Pull request - github.com")) == .structureOnly)
        #expect(rules.treatment(of: window("XTerm", "bash")) == .capture)
    }

    @Test("Password prompts are excluded whatever the policy says; private browsing windows too, unless its private-windows allows them")
    func floor() throws {
        let permissive = basePolicy.replacingOccurrences(of: "app: KeePassXC\n    action: exclude", with: "app: Navigator\n    action: capture")
        let rules = WindowRules(policy: try policy(permissive))
        #expect(rules.treatment(of: window("Navigator", "Private Browsing - Mozilla Firefox")) == .exclude)
        #expect(rules.treatment(of: window("Pinentry-gtk-2", "Enter passphrase")) == .exclude)
        let allowing = WindowRules(policy: try policy(permissive + "private-windows: capture\n"))
        // With its page's address known: unknown-site does not apply.
        #expect(allowing.treatment(of: window("Navigator", "Private Browsing - Mozilla Firefox", url: "https://example.org/")) == .capture)
        #expect(allowing.treatment(of: window("Pinentry-gtk-2", "Enter passphrase")) == .exclude)
    }

    @Test(
        "A private window is one by its title or as the accessibility bus marks it; private-windows sets the least it gets, and the policy's rules still apply to it"
    )
    func privateWindows() throws {
        func marked(_ title: String, url: String) -> WindowContext {
            WindowContext(app: "Chromium", title: title, pid: 7, window: 1, rect: [0, 0, 1, 1], url: url, privateWindow: true)
        }
        // Chromium's X title does not say incognito; the bus does.
        let incognito = marked("Pull request - Chromium", url: "https://github.com/pulls")
        #expect(rules.treatment(of: incognito) == .exclude)
        #expect(rules.explain(incognito).because.contains("private"))
        let timingOnly = WindowRules(policy: try policy(basePolicy + "private-windows: structure-only\n"))
        #expect(timingOnly.treatment(of: incognito) == .structureOnly)
        let allowing = WindowRules(policy: try policy(basePolicy + "private-windows: capture\n"))
        #expect(allowing.treatment(of: incognito) == .capture)
        #expect(allowing.treatment(of: marked("Account - Chromium", url: "https://www.paypal.com/myaccount")) == .exclude, "its banking rule")
        #expect(throws: DocumentError.self) { try policy(basePolicy + "private-windows: sometimes\n") }
        // The consent text says which.
        let excluding = PolicyExplanation.text(try PolicyDocument(text: basePolicy, source: "base.yaml"))
        #expect(excluding.contains("private or incognito browser windows, and password prompts"))
        let letIn = PolicyExplanation.text(try PolicyDocument(text: basePolicy + "private-windows: capture\n", source: "open.yaml"))
        #expect(!letIn.contains("private or incognito browser windows, and password prompts") && letIn.contains("this policy allows them"))
    }

    @Test("A personal exemption excludes, even what a rule captures")
    func exemption() {
        var mine = rules
        mine.exemptions = [Exemption(kind: .site, value: "GitHub.com")]
        #expect(mine.treatment(of: window("firefox", "Pull request - github.com")) == .exclude)
        mine.exemptions = [Exemption(kind: .title, value: "diary")]
        #expect(mine.treatment(of: window("gedit", "My Diary.txt")) == .exclude)
        #expect(mine.treatment(of: window("gedit", "notes.txt")) == .capture)
    }
}
