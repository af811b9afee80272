import Crypto
import Foundation
import Testing
import UnderstudyModel

@testable import Privacy

@Suite("What widens a policy, rule by rule")
struct WideningTests {
    /// (what changed, the edited policy, whether it widens the base policy; "FROM:" reverses
    /// the comparison, "FROM:A\nTO:B" compares A with B)
    static let cases: [(String, String, Bool)] = {
        func edit(_ from: String, _ to: String) -> String {
            precondition(basePolicy.contains(from), from)
            return basePolicy.replacingOccurrences(of: from, with: to)
        }
        let noPointer = edit("pointer: true", "pointer: false")
        let noSnapshots = edit("  frames: true\n", "  frames: true\n  accessibility-snapshots: false\n")
        let all = "redaction: [email, phone, credit_card, iban, ssn, secret, password]"
        let dropCards = edit(
            all,
            "redaction:\n  email: redact\n  phone: redact\n  credit_card: drop-frame\n  iban: redact\n  ssn: redact\n  secret: redact\n  password: redact"
        )
        return [
            (
                "the same policy, renamed and re-versioned",
                edit("version: 3", "version: 4").replacingOccurrences(of: "name: acme-engineering", with: "name: acme-eng"), false
            ),
            ("a new contact", edit("privacy@acme.example", "dpo@acme.example"), false),
            ("text capture turned off", edit("  text: true", "  text: false"), false),
            ("frames turned off", edit("frames: true", "frames: false"), false),
            ("rarer frames", edit("frame-period: 5s", "frame-period: 10s"), false),
            ("more frequent frames", edit("frame-period: 5s", "frame-period: 2s"), true),
            ("a new exclude rule", edit("default-action: capture", "  - app: Slack\n    action: exclude\ndefault-action: capture"), false),
            ("an exclude rule removed", edit("  - app: KeePassXC\n    action: exclude\n", ""), true),
            ("exclude loosened to structure-only", edit("app: KeePassXC\n    action: exclude", "app: KeePassXC\n    action: structure-only"), true),
            ("structure-only tightened to exclude", edit("action: structure-only", "action: exclude"), false),
            ("structure-only loosened to capture", edit("action: structure-only", "action: capture"), true),
            (
                "a new capture rule under a capture default",
                edit("default-action: capture", "  - app: Code\n    action: capture\ndefault-action: capture"), false
            ),
            ("the default tightened to exclude", edit("default-action: capture", "default-action: exclude"), false),
            ("a shorter pause cap", edit("pause-cap: 30m", "pause-cap: 10m"), true),
            ("a longer pause cap", edit("pause-cap: 30m", "pause-cap: 1h"), false),
            ("the pause hotkey turned off", edit("pause-cap: 30m", "pause-cap: 30m\npause-hotkey: none"), true),
            ("another pause hotkey", edit("pause-cap: 30m", "pause-cap: 30m\npause-hotkey: super+p"), false),
            ("a shorter review window", edit("review-window: 24h", "review-window: 1h"), true),
            ("a longer review window", edit("review-window: 24h", "review-window: 48h"), false),
            ("longer retention", edit("retention: 7d", "retention: 30d"), true),
            ("shorter retention", edit("retention: 7d", "retention: 1d"), false),
            ("a recognizer turned off", edit("email, phone, ", "phone, "), true),
            ("frames showing a card dropped instead of redacted", dropCards, false),
            ("frames showing a card redacted instead of dropped", "FROM:" + dropCards, true),
            ("a wider audience", edit("the ACME ML data team", "all of ACME"), true),
            ("another organisation", edit("organisation: ACME Corp", "organisation: Initech"), true),
            // Widening from a narrower consented policy: the base policy without pointer capture.
            ("pointer capture turned on", "FROM:" + noPointer, true),
            ("private windows allowed", basePolicy + "private-windows: capture\n", true),
            ("private windows given timing only", basePolicy + "private-windows: structure-only\n", true),
            ("private windows excluded again", "FROM:" + basePolicy + "private-windows: capture\n", false),
            ("accessibility snapshots turned off", noSnapshots, false),
            ("accessibility snapshots turned on", "FROM:" + noSnapshots, true),
            ("accessibility turned on", "FROM:" + edit("  frames: true\n", "  frames: true\n  accessibility: false\n"), true),
            (
                "snapshots on in a policy without accessibility, from one with accessibility but no snapshots",
                "FROM:" + noSnapshots + "\nTO:" + edit("  frames: true\n", "  frames: true\n  accessibility: false\n"), false
            ),
        ]
    }()

    @Test("Each change is classed as widening or not", arguments: cases)
    func widening(change: String, edited: String, widens: Bool) throws {
        // "FROM:A" compares A with the base policy; "FROM:A\nTO:B", A with B.
        let parts = edited.dropFirst(5).components(separatedBy: "\nTO:")
        let (old, new) =
            edited.hasPrefix("FROM:")
            ? (try policy(parts[0]), try policy(parts.count > 1 ? parts[1] : basePolicy)) : (try policy(basePolicy), try policy(edited))
        let found = PolicyComparison.widenings(from: old, to: new)
        #expect(found.isEmpty != widens, "\(change): \(found)")
    }

    @Test("A new capture rule widens a policy whose default is exclude")
    func captureRuleUnderExcludeDefault() throws {
        let strict = basePolicy.replacingOccurrences(of: "default-action: capture", with: "default-action: exclude")
        let loosened = strict.replacingOccurrences(of: "default-action: exclude", with: "  - app: Code\n    action: capture\ndefault-action: exclude")
        let found = PolicyComparison.widenings(from: try policy(strict), to: try policy(loosened))
        #expect(found == ["a new rule makes app Code capture, looser than the consented default (exclude)"])
    }
}

@Suite("Consent and signatures")
struct ConsentTests {
    func temporary() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("understudy-privacy-\(UUID().uuidString)") }

    @Test("Consent is bound to the policy: the same one runs, a narrower one runs at once, a wider one needs consent again, and withdrawal stops all")
    func consent() throws {
        let folder = temporary()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ConsentStore(directory: folder)
        let base = try PolicyDocument(text: basePolicy, source: "base.yaml")
        guard case .needed = try store.decision(for: base) else {
            Issue.record("no consent yet must mean needed")
            return
        }
        try store.accept(base)
        let current = try #require(try store.current())
        #expect(try store.decision(for: base) == .consented(current))
        let narrower = try PolicyDocument(text: basePolicy.replacingOccurrences(of: "retention: 7d", with: "retention: 1d"), source: "n.yaml")
        guard case .narrows = try store.decision(for: narrower) else {
            Issue.record("narrowing must apply at once")
            return
        }
        let wider = try PolicyDocument(text: basePolicy.replacingOccurrences(of: "retention: 7d", with: "retention: 90d"), source: "w.yaml")
        #expect(try store.decision(for: wider) == .needed(["data is kept longer (90d instead of 7d)"]))
        try store.withdraw()
        guard case .needed = try store.decision(for: base) else {
            Issue.record("withdrawn consent must stop capture")
            return
        }
        try store.accept(base)
        guard case .consented = try store.decision(for: base) else {
            Issue.record("consent again after withdrawing")
            return
        }
        let mode = try FileManager.default.attributesOfItem(atPath: store.url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("A signed policy verifies under a trusted key; a changed byte, a missing signature or an untrusted key are refused")
    func signatures() throws {
        let folder = temporary()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("policy.yaml")
        try Data(basePolicy.utf8).write(to: file)
        #expect(throws: PolicySigning.Failure.unsigned(file.path)) { try PolicySigning.verify(Data(basePolicy.utf8), of: file, trusted: []) }
        let (privateKey, publicKey) = try PolicySigning.generateKey(named: folder.appendingPathComponent("org"))
        #expect(try FileManager.default.attributesOfItem(atPath: privateKey.path)[.posixPermissions] as? Int == 0o600)
        _ = try PolicySigning.sign(file, key: privateKey)
        let trusted = [try PolicySigning.publicKey(publicKey)]
        #expect(try PolicySigning.verify(Data(basePolicy.utf8), of: file, trusted: trusted) == PolicySigning.fingerprint(trusted[0]))
        let tampered = basePolicy.replacingOccurrences(of: "retention: 7d", with: "retention: 8d")
        #expect(throws: PolicySigning.Failure.tampered(file.path)) { try PolicySigning.verify(Data(tampered.utf8), of: file, trusted: trusted) }
        let stranger = Curve25519.Signing.PrivateKey().publicKey
        #expect(throws: PolicySigning.Failure.untrusted(file.path, key: PolicySigning.fingerprint(trusted[0]))) {
            try PolicySigning.verify(Data(basePolicy.utf8), of: file, trusted: [stranger])
        }
        #expect(try PolicySigning.trust(publicKey, in: folder) == PolicySigning.fingerprint(trusted[0]))
        #expect(PolicySigning.trustedKeys(in: folder).map(\.rawRepresentation) == trusted.map(\.rawRepresentation))
    }
}
