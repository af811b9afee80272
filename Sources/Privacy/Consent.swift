import Foundation
import UnderstudyModel

/// One acceptance: which policy (by hash, with its text, so later policies can be compared
/// with it) and when.
public struct ConsentRecord: Sendable, Equatable, Codable {
    public var policyHash: String
    public var name: String
    public var version: Int
    public var acceptedAt: Date
    public var document: String
}

/// The contributor's consents: `$XDG_CONFIG_HOME/understudy/consent.json`, owner-only.
///
/// Capture under a policy needs a consent to it, or to a policy it does not widen
/// (``PolicyComparison``): narrowing takes effect at once, widening asks again. Withdrawing
/// ends every consent; the running recorder notices within a second and stops.
public struct ConsentStore: Sendable {
    public struct Contents: Sendable, Equatable, Codable {
        public var accepted: [ConsentRecord] = []
        /// Set by a withdrawal, cleared by the next acceptance.
        public var withdrawnAt: Date?
    }

    /// What the store says about running a policy.
    public enum Decision: Sendable, Equatable {
        /// Consented to exactly this policy.
        case consented(ConsentRecord)
        /// Consented to a policy this one only narrows.
        case narrows(ConsentRecord)
        /// Consent is needed first, for these reasons.
        case needed([String])
    }

    public let url: URL

    public init(directory: URL = UserDirectories.config) {
        url = directory.appendingPathComponent("consent.json")
    }

    public func load() throws(PrivacyStoreError) -> Contents {
        try JSONStore.load(Contents.self, from: url) ?? Contents()
    }

    /// The consent in force: the latest acceptance, unless withdrawn since.
    public func current() throws(PrivacyStoreError) -> ConsentRecord? {
        let contents = try load()
        guard contents.withdrawnAt == nil else { return nil }
        return contents.accepted.last
    }

    public func decision(for document: PolicyDocument) throws(PrivacyStoreError) -> Decision {
        guard let consent = try current() else {
            return .needed(["you have not consented to any policy yet (or withdrew your consent)"])
        }
        if consent.policyHash == document.hash { return .consented(consent) }
        guard let old = try? PolicyDocument(text: consent.document, source: "the policy you consented to") else {
            return .needed(["the policy you consented to can no longer be read"])
        }
        let widenings = PolicyComparison.widenings(from: old.policy, to: document.policy)
        return widenings.isEmpty ? .narrows(consent) : .needed(widenings)
    }

    @discardableResult
    public func accept(_ document: PolicyDocument, at date: Date = WallClock.system.now()) throws(PrivacyStoreError) -> ConsentRecord {
        var contents = try load()
        let record = ConsentRecord(
            policyHash: document.hash, name: document.policy.name, version: document.policy.version,
            acceptedAt: date, document: document.text)
        contents.accepted.append(record)
        contents.withdrawnAt = nil
        try JSONStore.save(contents, to: url)
        return record
    }

    public func withdraw(at date: Date = WallClock.system.now()) throws(PrivacyStoreError) {
        var contents = try load()
        contents.withdrawnAt = date
        try JSONStore.save(contents, to: url)
    }

    public var modified: Date? { JSONStore.modified(url) }
}

extension ConsentRecord {
    /// The consent in a sentence, as `consent accept` and `consent show` print it.
    public var text: String {
        "You consented to \"\(name)\" version \(version) (\(policyHash.prefix(16))) at \(RFC3339.string(from: acceptedAt))."
    }
}
