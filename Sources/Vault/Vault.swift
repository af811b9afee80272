import Crypto
import Foundation
import GRDB
import Synchronization
import UnderstudyModel

/// The device store: a directory with `vault.sqlite` (sessions, segments, sealed events and
/// frame layouts) and `segments/<id>/`, which holds each segment's sealed tile patches.
///
/// Everything captured is encrypted at rest (see ``SegmentKeys``) under a data key per
/// segment, wrapped by the vault key, which lives outside the directory in a
/// ``VaultKeyStore``. The database runs in WAL mode, so `understudy log` and `status` read
/// while a recorder writes, with `secure_delete` on, so deleted rows leave zeros behind.
/// Schema changes go through ``VaultSchema/migrator``; a vault written by a newer version is
/// refused rather than misread.
public final class Vault: Sendable {
    public let directory: URL
    /// The vault's random identity; its key is stored under this name.
    public let id: String
    /// Whether captured data is sealed. Always true for vaults the command line makes.
    public let encrypted: Bool
    /// Where the vault key is, for messages.
    public let keyLocation: String
    /// What retention, sealing and forgetting take as "now".
    public let clock: WallClock
    let database: DatabasePool
    let key: VaultKey?
    /// Per session, the segment its last frame was found in (``frame(session:hash:)`` starts there).
    let frameHints = Mutex<[String: String]>([:])

    public var segmentsDirectory: URL { directory.appendingPathComponent("segments", isDirectory: true) }
    public var databaseURL: URL { directory.appendingPathComponent("vault.sqlite") }

    /// Opens the vault at `directory`, creating it (and its key) when `create` is true.
    ///
    /// A vault whose key is missing still opens, so `status`, `vault check` and `forget` work;
    /// reading or writing captured data then fails with ``VaultError/keyMissing(_:)``.
    public init(
        at directory: URL, create: Bool, keyStore: any VaultKeyStore = KeyFileStore(),
        encrypted newVaultEncrypted: Bool = true, clock: WallClock = .system
    ) throws(VaultError) {
        self.directory = directory
        self.clock = clock
        let path = directory.appendingPathComponent("vault.sqlite").path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { throw .notAVault(directory.path) }
            try Self.makeDirectory(directory)
        }
        // Migrations and the vault's identity are made by one process at a time: `status` opening
        // a vault the recorder is creating once ran a migration twice ("duplicate column").
        let opening = try Self.holdOpeningLock(directory)
        defer {
            flock(opening, LOCK_UN)
            Glibc.close(opening)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // Deleted rows (forgotten segments, their wrapped keys) are overwritten with zeros.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .unreadable(path, "\(error)")
        }
        try VaultSchema.migrate(database, path: path)
        let info = try Self.identity(database, path: path, keyStore: keyStore, create: create, encrypted: newVaultEncrypted, now: clock.now())
        id = info.id
        encrypted = info.encrypted
        keyLocation = encrypted ? keyStore.location(vaultID: info.id) : "none (encryption off)"
        key = info.key
    }

    /// An exclusive `flock` on `open.lock` in the vault folder, waited for: held while a
    /// process migrates the database and reads or makes the vault's identity.
    private static func holdOpeningLock(_ directory: URL) throws(VaultError) -> Int32 {
        let path = directory.appendingPathComponent("open.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unreadable(path, String(cString: strerror(errno))) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                Glibc.close(descriptor)
                throw .unreadable(path, String(cString: strerror(errno)))
            }
        }
        return descriptor
    }

    /// The per-user default: `$XDG_DATA_HOME/understudy/vault`, else `~/.local/share/understudy/vault`.
    public static var defaultDirectory: URL { UserDirectories.data.appendingPathComponent("vault", isDirectory: true) }

    /// The vault key, or the error that says why there is none.
    func requireKey() throws(VaultError) -> VaultKey {
        guard let key else { throw .keyMissing(keyLocation) }
        return key
    }

    /// The keys of a segment, from its wrapped data key.
    func segmentKeys(segment: String, wrapped: Data) throws(VaultError) -> SegmentKeys {
        guard encrypted else { return SegmentKeys(dataKey: SymmetricKey(data: Data(count: 32)), encrypts: false) }
        let key = try requireKey()
        do {
            return SegmentKeys(dataKey: try key.unwrap(wrapped, segment: segment), encrypts: true)
        } catch {
            throw .damaged("segment \(segment): its key does not unwrap (the row was altered or damaged)")
        }
    }

    func segmentDirectory(_ segment: String) -> URL {
        segmentsDirectory.appendingPathComponent(segment, isDirectory: true)
    }

    func patchURL(segment: String, name: Int) -> URL {
        segmentDirectory(segment).appendingPathComponent("\(name).patch")
    }

    private static func makeDirectory(_ directory: URL) throws(VaultError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(
                at: directory.appendingPathComponent("segments"), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        } catch {
            throw .cannotCreate(directory.path, "\(error.localizedDescription)")
        }
    }

    private struct Identity {
        var id: String
        var encrypted: Bool
        var key: VaultKey?
    }

    /// Reads the vault's identity and loads its key; a new vault gets both.
    private static func identity(
        _ database: DatabasePool, path: String, keyStore: any VaultKeyStore,
        create: Bool, encrypted: Bool, now: Date
    ) throws(VaultError) -> Identity {
        let row: Row?
        do {
            row = try database.read { try Row.fetchOne($0, sql: "SELECT * FROM vault_info") }
        } catch {
            throw .unreadable(path, "\(error)")
        }
        guard let row else { return try initialize(database, path: path, keyStore: keyStore, encrypted: encrypted, now: now) }
        let id: String = row["id"]
        guard row["encryption"] as String != "none" else { return Identity(id: id, encrypted: false) }
        guard let key = try keyStore.loadKey(vaultID: id) else { return Identity(id: id, encrypted: true) }
        let vaultKey = VaultKey(vaultID: id, key: key)
        guard let check = row["key_check"] as Data?, vaultKey.verify(check) else { throw .wrongKey(keyStore.location(vaultID: id)) }
        return Identity(id: id, encrypted: true, key: vaultKey)
    }

    private static func initialize(
        _ database: DatabasePool, path: String, keyStore: any VaultKeyStore,
        encrypted: Bool, now: Date
    ) throws(VaultError) -> Identity {
        let id = UUID().uuidString.lowercased()
        let key = try encrypted ? VaultKey(vaultID: id, key: keyStore.createKey(vaultID: id)) : nil
        do {
            let check = try key?.check()
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO vault_info (id, created_at, encryption, key_check) VALUES (?, ?, ?, ?)",
                    arguments: [id, RFC3339.string(from: now), encrypted ? "aes-256-gcm" : "none", check])
            }
        } catch {
            throw .writeFailed("\(error)")
        }
        return Identity(id: id, encrypted: encrypted, key: key)
    }
}

/// What can go wrong opening or using a vault, in words a user can act on.
public enum VaultError: Error, Equatable, CustomStringConvertible {
    case notAVault(String)
    case cannotCreate(String, String)
    case unreadable(String, String)
    case newerSchema(String)
    case legacyPlaintext(Int)
    case busy(String, pid: Int32?)
    case writeFailed(String)
    /// A write failed because the disk (or the user's disk quota) is full: the recorder stops
    /// storing until there is room again, rather than failing.
    case diskFull(String)
    case keyMissing(String)
    case keyExposed(String)
    case keyUnreadable(String)
    case wrongKey(String)
    case damaged(String)
    case recording(String)
    case badRange(String)
    /// A segment is being uploaded (``UploadLock``) and deleting waited long enough for it.
    case uploading(String)

    public var description: String {
        switch self {
        case .notAVault(let path): "no vault at \(path) (record into it first, or pass --vault)"
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .unreadable(let path, let reason): "cannot open \(path): \(reason)"
        case .newerSchema(let path): "\(path) was written by a newer version of Understudy; upgrade to read it"
        case .legacyPlaintext(let events):
            "this vault holds \(events) events from the unencrypted pre-release (schema v1); read them with understudy 0.1.0, then delete it"
        case .busy(let path, let pid):
            "another recorder (pid \(pid.map(String.init) ?? "?")) is recording into \(path); stop it or use another --vault"
        case .writeFailed(let reason): "cannot write to the vault: \(reason)"
        case .diskFull(let reason): "cannot write to the vault, the disk is full: \(reason)"
        case .keyMissing(let location):
            "the vault key is missing (expected at \(location)); without it the captured data cannot be read or added to"
        case .keyExposed(let path): "the vault key \(path) is readable by other users; run `chmod 600 \(path)` first"
        case .keyUnreadable(let path): "the vault key \(path) is damaged (not an Understudy vault key)"
        case .wrongKey(let location): "the key at \(location) is not this vault's key"
        case .damaged(let what): "damaged: \(what)"
        case .recording(let what): what
        case .badRange(let what): what
        case .uploading:
            "a segment is being uploaded to your organisation's collector right now: try again in a minute, once it is done (what was uploaded by then is deleted there with `held delete`, or \"Delete there\" on the review page)"
        }
    }
}

extension Vault {
    /// Fails unless captured data can be written: an encrypted vault needs its key.
    func requireWritable() throws(VaultError) -> VaultKey? {
        encrypted ? try requireKey() : nil
    }
}

extension Vault {
    /// Whether captured data can be read: the vault is unencrypted or its key is present.
    public var canDecrypt: Bool { !encrypted || key != nil }
}

extension Vault {
    /// Copies the write-ahead log into the database, empties it and closes every connection,
    /// as SQLite does when the last connection of a process closes normally.
    public func close() {
        _ = try? database.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try? database.close()
    }
}
