import Crypto
import Foundation
import UnderstudyModel

/// Ed25519 signatures over a policy's exact bytes, in a detached `FILE.sig` next to it.
///
/// The organisation keeps the signing key; contributors trust its public key once
/// (`understudy policy trust KEY.pub`, kept in the config folder's `trusted-keys/`). The
/// recorder runs a policy only when its signature verifies under a trusted key.
public enum PolicySigning {
    static let privateHeader = "understudy-policy-signing-key-v1 "
    static let publicHeader = "understudy-policy-public-key-v1 "
    static let signatureHeader = "understudy-policy-signature-v1 "

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unsigned(String)
        case tampered(String)
        case untrusted(String, key: String)
        case badKeyFile(String)
        case cannotWrite(String, String)

        public var description: String {
            switch self {
            case .unsigned(let path):
                "\(path) is not signed (no \(path).sig); ask for a signed policy, or pass --unsigned-policy while developing one"
            case .tampered(let path): "\(path) does not match its signature: it was changed after signing; do not use it"
            case .untrusted(let path, let key):
                "\(path) is signed by a key you have not trusted (\(key)); if it is your organisation's, run `understudy policy trust KEY.pub`"
            case .badKeyFile(let path): "\(path) is not an Understudy policy key"
            case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
            }
        }
    }

    /// Writes `NAME.key` (private, 0600) and `NAME.pub`.
    public static func generateKey(named base: URL) throws(Failure) -> (privateKey: URL, publicKey: URL) {
        let key = Curve25519.Signing.PrivateKey()
        let privateURL = base.appendingPathExtension("key")
        let publicURL = base.appendingPathExtension("pub")
        try write(privateHeader + key.rawRepresentation.base64EncodedString() + "\n", to: privateURL, mode: 0o600)
        try write(publicHeader + key.publicKey.rawRepresentation.base64EncodedString() + "\n", to: publicURL, mode: 0o644)
        return (privateURL, publicURL)
    }

    /// Signs the policy file's bytes; writes `FILE.sig`.
    public static func sign(_ policy: URL, key keyURL: URL) throws(Failure) -> URL {
        let key = try privateKey(keyURL)
        guard let data = FileManager.default.contents(atPath: policy.path) else { throw .cannotWrite(policy.path, "cannot read it") }
        let signature: Data
        do { signature = try key.signature(for: data) } catch { throw .cannotWrite(policy.path, "\(error)") }
        let url = signatureURL(policy)
        try write(
            signatureHeader + key.publicKey.rawRepresentation.base64EncodedString() + " " + signature.base64EncodedString() + "\n",
            to: url, mode: 0o644)
        return url
    }

    /// Checks `data` (the bytes of `policy`) against `policy.sig` and the trusted keys.
    /// Returns the signing key's fingerprint.
    public static func verify(_ data: Data, of policy: URL, trusted: [Curve25519.Signing.PublicKey]) throws(Failure) -> String {
        guard let text = try? String(contentsOf: signatureURL(policy), encoding: .utf8) else { throw .unsigned(policy.path) }
        return try verify(data, signature: text, named: policy.path, trusted: trusted)
    }

    /// Checks `data` against the text of a `.sig` file and the trusted keys (`name` is for
    /// messages). Returns the signing key's fingerprint.
    public static func verify(
        _ data: Data, signature text: String, named name: String,
        trusted: [Curve25519.Signing.PublicKey]
    ) throws(Failure) -> String {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.count == 3, "\(parts[0]) " == signatureHeader, let keyBytes = Data(base64Encoded: String(parts[1])),
            let signature = Data(base64Encoded: String(parts[2])),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else { throw .tampered(name) }
        guard key.isValidSignature(signature, for: data) else { throw .tampered(name) }
        guard trusted.contains(where: { $0.rawRepresentation == key.rawRepresentation }) else {
            throw .untrusted(name, key: fingerprint(key))
        }
        return fingerprint(key)
    }

    public static func signatureURL(_ policy: URL) -> URL { policy.appendingPathExtension("sig") }

    /// A short name for a public key: the first 16 hex digits of its SHA-256.
    public static func fingerprint(_ key: Curve25519.Signing.PublicKey) -> String {
        SHA256.hash(data: key.rawRepresentation).prefix(8).hexDigits
    }

    public static func publicKey(_ url: URL) throws(Failure) -> Curve25519.Signing.PublicKey {
        guard let bytes = keyBytes(url, header: publicHeader), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw .badKeyFile(url.path)
        }
        return key
    }

    static func privateKey(_ url: URL) throws(Failure) -> Curve25519.Signing.PrivateKey {
        guard let bytes = keyBytes(url, header: privateHeader), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) else {
            throw .badKeyFile(url.path)
        }
        return key
    }

    /// The trusted public keys in `<config>/trusted-keys/`.
    public static func trustedKeys(in directory: URL = UserDirectories.config) -> [Curve25519.Signing.PublicKey] {
        let folder = directory.appendingPathComponent("trusted-keys")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pub") }.compactMap { try? publicKey(folder.appendingPathComponent($0)) }
    }

    /// Adds a public key to the trusted keys. Returns its fingerprint.
    public static func trust(_ url: URL, in directory: URL = UserDirectories.config) throws(Failure) -> String {
        let key = try publicKey(url)
        let print = fingerprint(key)
        let folder = directory.appendingPathComponent("trusted-keys")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotWrite(folder.path, error.localizedDescription)
        }
        try write(publicHeader + key.rawRepresentation.base64EncodedString() + "\n", to: folder.appendingPathComponent("\(print).pub"), mode: 0o644)
        return print
    }

    /// The fingerprint of a public key given as a `.pub` file's text.
    public static func fingerprint(publicKeyText text: String) throws(Failure) -> String {
        guard let bytes = keyBytes(text, header: publicHeader), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw .badKeyFile("a public key")
        }
        return fingerprint(key)
    }

    private static func keyBytes(_ url: URL, header: String) -> Data? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        return keyBytes(text, header: header)
    }

    private static func keyBytes(_ text: String, header: String) -> Data? {
        guard text.hasPrefix(header) else { return nil }
        return Data(base64Encoded: text.dropFirst(header.count).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func write(_ text: String, to url: URL, mode: mode_t) throws(Failure) {
        do { try DurableFile.replace(url.path, contents: Data(text.utf8), mode: mode) } catch { throw .cannotWrite(url.path, error.description) }
    }
}
