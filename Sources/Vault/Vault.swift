import Foundation
import GRDB
import UnderstudyModel

/// The device store: a directory with `vault.sqlite` (sessions, events, frame layouts) and
/// `frames/`, which holds encoded tile patches named by the SHA-256 of their bytes.
///
/// The database runs in WAL mode, so `understudy log` and `status` read while a recorder
/// writes. Schema changes go through ``VaultSchema/migrator``; a vault written by a newer
/// version is refused rather than misread.
public final class Vault: Sendable {
    public let directory: URL
    let database: DatabasePool

    public var framesDirectory: URL { directory.appendingPathComponent("frames", isDirectory: true) }
    public var databaseURL: URL { directory.appendingPathComponent("vault.sqlite") }

    /// Opens the vault at `directory`, creating it when `create` is true.
    public init(at directory: URL, create: Bool) throws(VaultError) {
        self.directory = directory
        let fm = FileManager.default
        let path = directory.appendingPathComponent("vault.sqlite").path
        if !fm.fileExists(atPath: path) {
            guard create else { throw .notAVault(directory.path) }
            do {
                try fm.createDirectory(at: directory.appendingPathComponent("frames"), withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
                try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            } catch {
                throw .cannotCreate(directory.path, "\(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .unreadable(path, "\(error)")
        }
        try VaultSchema.migrate(database, path: path)
    }

    /// The per-user default: `$XDG_DATA_HOME/understudy/vault`, else `~/.local/share/understudy/vault`.
    public static var defaultDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share")
        return base.appendingPathComponent("understudy/vault", isDirectory: true)
    }

    func patchURL(hash: String, codec: String) -> URL {
        framesDirectory.appendingPathComponent(String(hash.prefix(2)), isDirectory: true)
            .appendingPathComponent("\(hash).\(codec)")
    }
}

/// What can go wrong opening or using a vault, in words a user can act on.
public enum VaultError: Error, Equatable, CustomStringConvertible {
    case notAVault(String)
    case cannotCreate(String, String)
    case unreadable(String, String)
    case newerSchema(String)
    case busy(String, pid: Int32?)
    case writeFailed(String)

    public var description: String {
        switch self {
        case let .notAVault(path): "no vault at \(path) (record into it first, or pass --vault)"
        case let .cannotCreate(path, reason): "cannot create a vault at \(path): \(reason)"
        case let .unreadable(path, reason): "cannot open \(path): \(reason)"
        case let .newerSchema(path): "\(path) was written by a newer version of Understudy; upgrade to read it"
        case let .busy(path, pid):
            "another recorder (pid \(pid.map(String.init) ?? "?")) is recording into \(path); stop it or use another --vault"
        case let .writeFailed(reason): "cannot write to the vault: \(reason)"
        }
    }
}
