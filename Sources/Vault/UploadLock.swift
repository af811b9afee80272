import Foundation
import UnderstudyModel

/// Held while one segment is on its way to the collector: its bundle made, sent, acknowledged,
/// and the local copy deleted. Deleting from the vault (forgetting segments or steps, pruning)
/// takes it too, so a contributor's deletion cannot land between the bundle and its upload and
/// be lost, the collector holding what they deleted. It is an exclusive `flock` on
/// `upload.lock`, which dies with its process: a crashed sync never leaves the vault locked.
///
/// One holder at a time, across processes and within one: a deletion the uploader itself makes
/// passes the lock it holds (``Vault/forget(_:waitForRecorder:waitForUpload:holding:)``).
public final class UploadLock: Sendable {
    /// How long a deletion waits for an upload under way: one segment's, on a slow network.
    public static let deletionWait = Duration.seconds(10)

    private let descriptor: Int32

    /// Takes the lock, waiting up to `wait` for whoever holds it; fails with
    /// ``VaultError/uploading(_:)`` after that. For the vault's own (synchronous) deletions,
    /// which hold it for a moment only.
    public convenience init(vault: Vault, wait: Duration) throws(VaultError) {
        let descriptor = try Self.open(vault)
        let deadline = ContinuousClock.now + wait
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                close(descriptor)
                throw .uploading(vault.directory.path)
            }
            usleep(20_000)
        }
        self.init(descriptor: descriptor)
    }

    /// Takes the lock, waiting as long as a deletion holds it, without holding up a thread.
    public static func acquire(vault: Vault) async throws -> UploadLock {
        let descriptor = try open(vault)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            do { try await Task.sleep(for: .milliseconds(20)) } catch {
                close(descriptor)
                throw error
            }
        }
        return UploadLock(descriptor: descriptor)
    }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    private static func open(_ vault: Vault) throws(VaultError) -> Int32 {
        let path = vault.directory.appendingPathComponent("upload.lock").path
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotCreate(path, String(cString: strerror(errno))) }
        return descriptor
    }
}
