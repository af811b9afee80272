import Foundation

/// The policy a recorder runs without `--policy`: conservative, and shown by
/// `understudy policy explain --default`.
public enum DefaultPolicy {
    public static var document: PolicyDocument {
        // The built-in text is valid by construction; a test proves it.
        try! PolicyDocument(text: text, source: "built-in default policy")
    }

    public static var text: String {
        let sensitive = Catalog.shared.sensitiveCategories.filter { !(WindowRules.floorCategories + [Catalog.privateBrowsing]).contains($0) }
        return """
            # Understudy's built-in default policy: conservative. Sensitive categories of the
            # catalog are excluded, typed text is kept with every redaction recognizer on,
            # and a pause can last 30 minutes.
            understudy-policy: 1
            name: understudy-default
            version: 1
            organisation: you (no organisation's policy is in use)
            audience: only you, on this computer, until you export or upload it
            contact: the person running Understudy
            capture:
              pointer: true
              keys: true
              text: true
              frames: true
              frame-period: 5s
            rules:
            \(sensitive.map { "  - category: \($0)\n    action: exclude" }.joined(separator: "\n"))
            default-action: capture
            pause-cap: 30m
            review-window: 24h
            retention: 7d
            redaction: [email, phone, credit_card, iban, ssn, secret, password, person_name]

            """
    }
}
