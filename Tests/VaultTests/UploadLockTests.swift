import Device
import Foundation
import Synchronization
import Testing
import UnderstudyModel

@testable import Vault

/// While a segment is on its way to the collector (the ``UploadLock`` held, as the uploader
/// holds it from the bundle to deleting the local copy), nothing else deletes from the vault: a
/// deletion then would be lost, the collector holding what the contributor deleted.
@Suite("Deleting while a segment is uploaded")
struct UploadLockTests {
    private func sealedSegment(_ vault: Vault, at test: borrowing TestVault) async throws -> (Session, SegmentInfo) {
        let session = TestVault.session()
        let writer = try await VaultWriter(vault: vault, session: session)
        await writer.append(sampleEvents(20))
        try await writer.close(endedAt: test.clock.now)
        return (session, try #require(try vault.segments().first))
    }

    @Test("While an upload holds the lock, forgetting a segment, its steps or everything waits, then fails with one clear error and deletes nothing")
    func deletionsWaitForTheUpload() async throws {
        let test = TestVault()
        let vault = try test.open()
        let (session, segment) = try await sealedSegment(vault, at: test)
        let before = try vault.segments()
        let other = try test.open()  // another opening of the vault, as the review page or `forget` in another process has
        do {
            let upload = try await UploadLock.acquire(vault: vault)
            let wait = Duration.milliseconds(50)
            #expect(throws: VaultError.uploading(other.directory.path)) { try UploadLock(vault: other, wait: wait) }
            #expect(throws: VaultError.uploading(other.directory.path)) {
                try other.forget(.segments([segment.id]), waitForRecorder: .zero, waitForUpload: wait)
            }
            #expect(throws: VaultError.uploading(other.directory.path)) {
                try other.forgetSteps(session: session.id, fromNs: 0, toNs: .max, recoder: TileStripRecoder(), waitForUpload: wait)
            }
            var noRetention = VaultSettings()
            noRetention.retentionSeconds = 0
            #expect(try other.prune(settings: noRetention).isEmpty, "retention waits for the next prune")
            #expect(try vault.segments() == before)
            #expect(VaultError.uploading("v").description.contains("being uploaded"))

            // The uploader deletes its local copy with the lock it holds.
            #expect(try vault.forget(.segments([segment.id]), holding: upload).forgotten.map(\.id) == [segment.id])
        }
        // Released: others delete again.
        _ = try await sealedSegment(vault, at: test)
        #expect(try other.forget(.all, waitForUpload: .zero).forgotten.count == 1)
    }

    @Test("The lock goes with the uploader: once it is released, a deletion waiting for it goes ahead")
    func releasedLockLetsDeletionThrough() async throws {
        let test = TestVault()
        let vault = try test.open()
        let (_, segment) = try await sealedSegment(vault, at: test)
        let released = Mutex(false)
        let release: Task<Void, any Error>
        do {
            let upload = try await UploadLock.acquire(vault: vault)
            release = Task {
                try await Task.sleep(for: .milliseconds(300))
                withExtendedLifetime(upload) { released.withLock { $0 = true } }
            }
        }
        // Waits (up to ``UploadLock/deletionWait``) while the upload finishes, then deletes.
        let other = try test.open()
        #expect(try other.forget(.segments([segment.id])).forgotten.map(\.id) == [segment.id])
        #expect(released.withLock { $0 }, "it went ahead while the upload held the lock")
        try await release.value
    }
}
