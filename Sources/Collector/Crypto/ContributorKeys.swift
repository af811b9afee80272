import Crypto
import Foundation
import UnderstudyModel

/// Wraps contributors' data keys. The embedded one holds a key-encryption key from a file or
/// the environment; a KMS would implement the same two calls.
public protocol KeyWrapper: Sendable {
    func wrap(_ key: SymmetricKey, contributor: String) throws -> Data
    func unwrap(_ wrapped: Data, contributor: String) throws -> SymmetricKey
}

public enum KeyError: Error, Equatable, CustomStringConvertible {
    case missingKEK(String)
    case badKEK(String)
    case unwrapFailed(String)

    public var description: String {
        switch self {
        case .missingKEK(let path): "no key-encryption key: set UNDERSTUDY_KEK or create \(path) (32 random bytes, base64, mode 600)"
        case .badKEK(let reason): "the key-encryption key is unusable: \(reason)"
        case .unwrapFailed(let contributor): "the data key of \(contributor) does not unwrap with this key-encryption key"
        }
    }
}

/// A key-encryption key held by the server process: AES-256-GCM over each data key, bound to
/// its contributor. Whoever reads the disk without it reads no content.
public struct LocalKeyEncryptionKey: KeyWrapper {
    /// The key's bytes (``SymmetricKey`` is not `Sendable`).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// SHA-256 of the key, first 8 bytes hex: names the key in logs without revealing it.
    public let fingerprint: String

    public init(_ key: SymmetricKey) {
        keyBytes = key.withUnsafeBytes { Data($0) }
        fingerprint = key.withUnsafeBytes { SHA256.hash(data: Data($0)) }.prefix(8).hexDigits
    }

    /// From `UNDERSTUDY_KEK` (base64) when set, else from `file`, which is created (mode 600)
    /// when `create` and absent. A file others can read is refused.
    public static func load(file: URL, environment: [String: String], create: Bool) throws -> LocalKeyEncryptionKey {
        if let text = environment["UNDERSTUDY_KEK"] { return try parse(text, from: "UNDERSTUDY_KEK") }
        let fm = FileManager.default
        if !fm.fileExists(atPath: file.path) {
            guard create else { throw KeyError.missingKEK(file.path) }
            try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
            do { try DurableFile.create(file.path, contents: Data((fresh + "\n").utf8)) } catch { throw KeyError.badKEK("cannot create \(error)") }
        }
        let mode = (try? fm.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) ?? 0
        guard mode & 0o077 == 0 else { throw KeyError.badKEK("\(file.path) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it") }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw KeyError.badKEK("cannot read \(file.path)") }
        return try parse(text, from: file.path)
    }

    private static func parse(_ text: String, from source: String) throws -> LocalKeyEncryptionKey {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw KeyError.badKEK("\(source) is not 32 bytes in base64")
        }
        return LocalKeyEncryptionKey(SymmetricKey(data: data))
    }

    public func wrap(_ dataKey: SymmetricKey, contributor: String) throws -> Data {
        let plain = dataKey.withUnsafeBytes { Data($0) }
        return try AES.GCM.seal(plain, using: key, authenticating: Data("understudy-data-key-v1 \(contributor)".utf8)).combined!
    }

    public func unwrap(_ wrapped: Data, contributor: String) throws -> SymmetricKey {
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped)
            return SymmetricKey(data: try AES.GCM.open(box, using: key, authenticating: Data("understudy-data-key-v1 \(contributor)".utf8)))
        } catch {
            throw KeyError.unwrapFailed(contributor)
        }
    }
}

/// Encrypts a blob in chunks as it streams in, so a large upload is never held whole: each
/// chunk is sealed with AES-256-GCM, its position and whether it is the last bound into it,
/// so chunks cannot be reordered, dropped or the blob cut short unnoticed.
///
/// Format: `USC1`, then records of a 4-byte big-endian length and a sealed chunk.
public struct ContentSealer {
    public static let chunkSize = 1 << 20
    private let key: SymmetricKey
    private let context: String
    private var index: UInt64 = 0
    private var pending = Data()
    private var started = false

    public init(key: SymmetricKey, context: String) {
        self.key = key
        self.context = context
    }

    /// Takes plaintext; returns the ciphertext ready so far.
    public mutating func feed(_ data: Data) throws -> Data {
        pending.append(data)
        var out = header()
        while pending.count > Self.chunkSize {
            out.append(try seal(pending.prefix(Self.chunkSize), final: false))
            pending = Data(pending.dropFirst(Self.chunkSize))
        }
        return out
    }

    /// The rest of the ciphertext, ending with the final chunk.
    public mutating func finish() throws -> Data {
        var out = header()
        out.append(try seal(pending, final: true))
        pending = Data()
        return out
    }

    private mutating func header() -> Data {
        guard !started else { return Data() }
        started = true
        return Data("USC1".utf8)
    }

    private mutating func seal(_ chunk: Data, final: Bool) throws -> Data {
        let sealed = try AES.GCM.seal(chunk, using: key, authenticating: ContentOpener.aad(context, index, final)).combined!
        index += 1
        var length = UInt32(sealed.count).bigEndian
        return Data(bytes: &length, count: 4) + sealed
    }
}

/// Opens what ``ContentSealer`` wrote, chunk by chunk.
public struct ContentOpener {
    private let key: SymmetricKey
    private let context: String
    private var index: UInt64 = 0
    private var buffer = Data()
    private var sawHeader = false
    public private(set) var finished = false

    public init(key: SymmetricKey, context: String) {
        self.key = key
        self.context = context
    }

    static func aad(_ context: String, _ index: UInt64, _ final: Bool) -> Data {
        Data("understudy-content-v1 \(context) \(index) \(final ? 1 : 0)".utf8)
    }

    /// Takes ciphertext; returns the plaintext of the chunks completed.
    public mutating func feed(_ data: Data) throws -> Data {
        buffer.append(data)
        if !sawHeader {
            guard buffer.count >= 4 else { return Data() }
            guard buffer.prefix(4) == Data("USC1".utf8) else { throw KeyError.badKEK("not an Understudy sealed blob") }
            buffer = Data(buffer.dropFirst(4))
            sawHeader = true
        }
        var out = Data()
        while buffer.count >= 4 {
            let length = Int(buffer.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            guard buffer.count >= 4 + length else { break }
            guard !finished else { throw KeyError.badKEK("data after the final chunk") }
            let box = try AES.GCM.SealedBox(combined: buffer.dropFirst(4).prefix(length))
            if let plain = try? AES.GCM.open(box, using: key, authenticating: Self.aad(context, index, false)) {
                out.append(plain)
            } else {
                out.append(try AES.GCM.open(box, using: key, authenticating: Self.aad(context, index, true)))
                finished = true
            }
            index += 1
            buffer = Data(buffer.dropFirst(4 + length))
        }
        return out
    }
}
