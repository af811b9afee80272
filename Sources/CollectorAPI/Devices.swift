import Foundation

// Devices: enrolment, published policies, consents.

/// `POST /v1/enrol`: a one-time code and the new device's public key.
public struct EnrolRequest: Codable, Sendable, Equatable {
    public var code: String
    /// The device's Ed25519 public key, base64.
    public var publicKey: String
    public var name: String?
    /// Fingerprints of the policy keys the contributor was given with the code: a server holding
    /// none of them refuses before the code is spent (the device checks the answer too).
    public var policyKeys: [String]?
    public init(code: String, publicKey: String, name: String?, policyKeys: [String]? = nil) {
        self.code = code
        self.publicKey = publicKey
        self.name = name
        self.policyKeys = policyKeys
    }
}

/// The answer to `POST /v1/enrol`.
public struct Enrolled: Codable, Sendable, Equatable {
    public var device: String
    public var contributor: String
    /// The public keys (`.pub` files' text) the organisation signs its policies with.
    public var policyKeys: [String]
    /// The contributor's name and address as the organisation gave them with the code, for
    /// the device to redact; absent when none was given.
    public var identity: ContributorIdentity?
    public init(device: String, contributor: String, policyKeys: [String], identity: ContributorIdentity? = nil) {
        self.device = device
        self.contributor = contributor
        self.policyKeys = policyKeys
        self.identity = identity
    }
}

/// A published policy in `GET /v1/policies`.
public struct PolicyListing: Codable, Sendable, Equatable {
    public var hash: String
    public var name: String
    public var version: Int
    /// The policy's YAML, as signed.
    public var document: String
    /// The `.sig` file's text.
    public var signature: String
    public var publishedAt: Date
    public init(hash: String, name: String, version: Int, document: String, signature: String, publishedAt: Date) {
        self.hash = hash
        self.name = name
        self.version = version
        self.document = document
        self.signature = signature
        self.publishedAt = publishedAt
    }
}

/// `POST /v1/policies` (privacy officer).
public struct PublishPolicyRequest: Codable, Sendable, Equatable {
    public var document: String
    public var signature: String
    public init(document: String, signature: String) {
        self.document = document
        self.signature = signature
    }
}

/// The answer to `POST /v1/policies`.
public struct PolicyPublished: Codable, Sendable, Equatable {
    public var hash: String
    public var name: String
    public var version: Int
    public init(hash: String, name: String, version: Int) {
        self.hash = hash
        self.name = name
        self.version = version
    }
}

/// `POST /v1/consents` (device).
public struct ConsentRequest: Codable, Sendable, Equatable {
    public var policyHash: String
    public var acceptedAt: Date
    public init(policyHash: String, acceptedAt: Date) {
        self.policyHash = policyHash
        self.acceptedAt = acceptedAt
    }
}

/// `POST /v1/consents/withdrawal`: the contributor withdrew consent on the device.
public struct ConsentWithdrawalRequest: Codable, Sendable, Equatable {
    public var withdrawnAt: Date
    public init(withdrawnAt: Date) { self.withdrawnAt = withdrawnAt }
}

/// The answer to `POST /v1/consents/withdrawal`: how many recorded consents it ended.
public struct ConsentWithdrawn: Codable, Sendable, Equatable {
    public var withdrawn: Int
    public init(withdrawn: Int) { self.withdrawn = withdrawn }
}

/// The answer to `POST /v1/consents`.
public struct ConsentRecorded: Codable, Sendable, Equatable {
    public var policyHash: String
    public var recorded: Bool
    public init(policyHash: String, recorded: Bool) {
        self.policyHash = policyHash
        self.recorded = recorded
    }
}
