import Crypto
import Foundation
import UnderstudyModel

/// Where a vault's key lives. The key is never inside the vault directory, so a copy of the
/// vault (a backup, a stolen disk image of the data folder) reveals nothing without it.
///
/// ``KeyFileStore`` keeps keys in owner-only files under the user's config directory; an OS
/// key store (Secret Service, Keychain) fits the same three calls.
public protocol VaultKeyStore: Sendable {
    /// Where the key of `vaultID` is, in words for messages (a path, a key-store entry).
    func location(vaultID: String) -> String
    /// The key, or nil when there is none.
    func loadKey(vaultID: String) throws(VaultError) -> SymmetricKey?
    /// Makes, stores and returns a new random 256-bit key for `vaultID`.
    func createKey(vaultID: String) throws(VaultError) -> SymmetricKey
}

/// Vault keys as files: `<config>/understudy/keys/<vault-id>.key`, mode 0600 in a 0700 folder.
///
/// A key file readable by anyone but its owner is refused, as ssh refuses such a private key.
public struct KeyFileStore: VaultKeyStore {
    public let directory: URL

    public init(directory: URL = KeyFileStore.defaultDirectory) {
        self.directory = directory
    }

    /// `$XDG_CONFIG_HOME/understudy/keys`, else `~/.config/understudy/keys`.
    public static var defaultDirectory: URL { UserDirectories.config.appendingPathComponent("keys", isDirectory: true) }

    private static let header = "understudy-vault-key-v1 "

    public func location(vaultID: String) -> String { url(vaultID).path }

    public func loadKey(vaultID: String) throws(VaultError) -> SymmetricKey? {
        let path = url(vaultID).path
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        guard info.st_mode & 0o077 == 0 else { throw .keyExposed(path) }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            text.hasPrefix(Self.header),
            let bytes = Data(base64Encoded: text.dropFirst(Self.header.count).trimmingCharacters(in: .whitespacesAndNewlines)),
            bytes.count == 32
        else { throw .keyUnreadable(path) }
        return SymmetricKey(data: bytes)
    }

    public func createKey(vaultID: String) throws(VaultError) -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        let text = Self.header + key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let path = url(vaultID).path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try DurableFile.create(path, contents: Data(text.utf8), mode: 0o600)
        } catch {
            throw .cannotCreate(path, "\(error)")
        }
        return key
    }

    private func url(_ vaultID: String) -> URL { directory.appendingPathComponent("\(vaultID).key") }
}
