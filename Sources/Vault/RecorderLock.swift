import Foundation
import UnderstudyModel

/// One recorder per vault: the recorder holds an exclusive `flock` on `recorder.lock` and
/// describes itself in `recorder.json`. The lock dies with the process, so a crashed
/// recorder never leaves a vault looking busy.
public final class RecorderLock: Sendable {
    /// What a running recorder says about itself.
    public struct State: Codable, Sendable, Equatable {
        public var pid: Int32
        public var session: String
        public var display: String
        public var startedAt: Date
        /// Set while the recorder is not storing what it captures: why, in plain words.
        public var notStoring: String?
        public var notStoringSince: Date?
        /// Set while the contributor paused recording.
        public var pausedUntil: Date?
        /// The policy in force: its name and version.
        public var policy: String?

        public init(
            pid: Int32, session: String, display: String, startedAt: Date, notStoring: String? = nil, notStoringSince: Date? = nil,
            pausedUntil: Date? = nil, policy: String? = nil
        ) {
            self.pid = pid
            self.session = session
            self.display = display
            self.startedAt = startedAt
            self.notStoring = notStoring
            self.notStoringSince = notStoringSince
            self.pausedUntil = pausedUntil
            self.policy = policy
        }
    }

    private let descriptor: Int32
    private let stateURL: URL

    /// Takes the vault's recorder lock, or fails with ``VaultError/busy(_:pid:)``.
    public init(vault: Vault) throws(VaultError) {
        let lockPath = vault.directory.appendingPathComponent("recorder.lock").path
        stateURL = vault.directory.appendingPathComponent("recorder.json")
        descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(lockPath, String(cString: strerror(errno))) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .busy(vault.directory.path, pid: Self.running(in: vault)?.pid)
        }
    }

    deinit { close(descriptor) }

    /// Publishes what this recorder is doing, for `understudy status`.
    public func publish(_ state: State) throws(VaultError) {
        let contents: Data
        do { contents = try Self.encoder.encode(state) } catch { throw .writeFailed("\(error)") }
        do {
            try DurableFile.replace(stateURL.path, contents: contents)
        } catch let failure where failure.isOutOfSpace {
            // A full disk is when `status` matters most ("not storing: the disk is full"),
            // and the new file of a rename needs a block the disk no longer has.
            try overwriteInPlace(contents)
        } catch {
            throw .writeFailed("\(error)")
        }
    }

    /// Rewrites the state file in the block it already has: padded with spaces (which JSON
    /// allows) to its old length, so nothing new is allocated (the state is far shorter than
    /// one block). Not atomic, which a state file can afford: ``running(in:)`` reads again
    /// when it catches a write halfway, and after a crash the lock, not this file, says
    /// whether a recorder runs.
    private func overwriteInPlace(_ contents: Data) throws(VaultError) {
        let fd = open(stateURL.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .writeFailed("\(stateURL.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        let padded = contents + Data(repeating: UInt8(ascii: " "), count: max(0, size - contents.count))
        let written = padded.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == padded.count else { throw .writeFailed("\(stateURL.path): \(String(cString: strerror(errno)))") }
    }

    /// Removes the description and gives the lock up.
    public func release() {
        try? FileManager.default.removeItem(at: stateURL)
        flock(descriptor, LOCK_UN)
    }

    /// Takes the lock if no recorder holds it, for maintenance that must not run beside a
    /// writer (recovery after a crash); nil when a recorder is running.
    public static func ifFree(vault: Vault) -> RecorderLock? {
        try? RecorderLock(vault: vault)
    }

    /// The recorder holding the vault's lock, if one is running.
    public static func running(in vault: Vault) -> State? {
        let lockPath = vault.directory.appendingPathComponent("recorder.lock").path
        let fd = open(lockPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let url = vault.directory.appendingPathComponent("recorder.json")
        // A few tries: on a full disk the recorder rewrites the file in place (see `publish`).
        for attempt in 0..<5 {
            if let state = (try? Data(contentsOf: url)).flatMap({ try? decoder.decode(State.self, from: $0) }) { return state }
            if attempt < 4 { usleep(2000) }
        }
        return nil
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
