import Crypto
import Foundation

/// The keys of one segment, all derived from its random data key.
///
/// Items are sealed with AES-256-GCM under a fresh random nonce, and each seal is bound to
/// where the item belongs (its `context`: kind, segment, session, seq or name), so a
/// ciphertext copied to another row or file does not open there. Tile and frame hashes are
/// stored only as keyed hashes (``lookupKey(_:)``), so a known screen cannot be confirmed
/// by hashing it. With encryption off (benchmarks only) items are stored as they are.
// SymmetricKey is immutable once made; swift-crypto has not marked it Sendable yet.
struct SegmentKeys: @unchecked Sendable {
    let encrypts: Bool
    private let content: SymmetricKey
    private let index: SymmetricKey
    private let seal: SymmetricKey

    init(dataKey: SymmetricKey, encrypts: Bool) {
        self.encrypts = encrypts
        func derive(_ purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: dataKey, info: Data("understudy segment \(purpose) v1".utf8), outputByteCount: 32)
        }
        content = derive("content")
        index = derive("index")
        seal = derive("seal")
    }

    /// Nonce, ciphertext and tag, or `plaintext` itself when encryption is off.
    ///
    /// The nonce comes from the writer's ``NonceSequence``: a data key belongs to one segment
    /// and one writer, and the sequence never goes back (not even when a write fails), so no
    /// nonce repeats under a key; it also spares a system call per item.
    func seal(_ plaintext: Data, context: Data, nonces: inout NonceSequence) throws -> Data {
        guard encrypts else { return plaintext }
        return try AES.GCM.seal(plaintext, using: content, nonce: nonces.next(), authenticating: context).combined!
    }

    /// The plaintext of ``seal(_:context:nonces:)``; throws when the bytes or the context differ.
    func open(_ sealed: Data, context: Data) throws -> Data {
        guard encrypts else { return sealed }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: content, authenticating: context)
    }

    /// A 16-byte keyed hash that stands in for a tile or frame hash in the database.
    func lookupKey(_ bytes: some DataProtocol) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: bytes, using: index).prefix(16))
    }

    /// The seal's authentication code over the segment's content digest.
    func sealCode(_ digest: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: digest, using: seal))
    }

    /// Bytes a seal adds to each item: a 12-byte nonce and a 16-byte tag.
    var overhead: Int { encrypts ? 28 : 0 }
}

/// Nonces for one writer: 4 random bytes, then a 64-bit counter.
struct NonceSequence {
    private let prefix = UInt32.random(in: .min ... .max)
    private var counter: UInt64 = 0

    mutating func next() -> AES.GCM.Nonce {
        counter += 1
        var bytes = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: prefix.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: counter.bigEndian) { bytes.replaceSubrange(4..<12, with: $0) }
        return try! AES.GCM.Nonce(data: bytes)  // 12 bytes is always a valid GCM nonce
    }
}

/// The vault key: it wraps each segment's data key, so destroying a segment's wrapped key
/// (``Vault/forget(_:)``) makes that segment's ciphertext unreadable for good.
struct VaultKey: @unchecked Sendable {
    let vaultID: String
    let key: SymmetricKey

    func wrap(_ dataKey: SymmetricKey, segment: String) throws -> Data {
        try dataKey.withUnsafeBytes { bytes in
            try AES.GCM.seal(Data(bytes), using: key, authenticating: context(segment)).combined!
        }
    }

    func unwrap(_ wrapped: Data, segment: String) throws -> SymmetricKey {
        SymmetricKey(data: try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: key, authenticating: context(segment)))
    }

    /// A setting sealed under the vault key, bound to its name: it opens only as that setting.
    func sealSetting(_ value: Data, name: String) throws -> Data {
        try AES.GCM.seal(value, using: key, authenticating: context("setting \(name)")).combined!
    }

    func openSetting(_ sealed: Data, name: String) throws -> Data {
        try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: context("setting \(name)"))
    }

    /// A value stored in the vault that only this key opens: tells a wrong key from damage.
    func check() throws -> Data {
        try AES.GCM.seal(Data("understudy vault key check".utf8), using: key, authenticating: context("check")).combined!
    }

    func verify(_ check: Data) -> Bool {
        (try? AES.GCM.open(AES.GCM.SealedBox(combined: check), using: key, authenticating: context("check"))) != nil
    }

    private func context(_ what: String) -> Data { Data("understudy vault \(vaultID) \(what)".utf8) }
}
