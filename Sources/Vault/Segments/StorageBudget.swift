import Foundation
import UnderstudyModel

/// Why the recorder stopped storing, in plain words.
public enum StorageRefusal: Sendable, Equatable, CustomStringConvertible {
    /// The vault reached its size budget.
    case quota(limit: Int64)
    /// The file system has less free space than the vault's floor.
    case diskFloor(free: Int64, floor: Int64)
    /// A write failed because the disk is full.
    case diskFull

    public var description: String {
        switch self {
        case .quota(let limit):
            "the vault reached its \(bytes(limit)) quota; capture resumes by itself once space is freed (understudy forget, understudy vault prune) or the quota is raised (understudy vault config --quota)"
        case .diskFloor(let free, let floor):
            "the disk has only \(bytes(free)) free, under the vault's \(bytes(floor)) floor; capture resumes by itself once space is freed"
        case .diskFull:
            "the disk is full; capture resumes by itself once space is freed"
        }
    }

    private func bytes(_ n: Int64) -> String { ByteSizeText.string(n) }
}

/// Whether the next write fits the vault's quota and leaves the disk its free-space floor.
///
/// Checking happens before every flush, so it must be cheap: the size of the segment files
/// is tracked as they are written and measured exactly (a directory walk) only when a
/// segment is sealed or while storing is stopped. The database files and the free space are
/// looked up at most once a second, or at once when the bytes written since could reach a
/// limit.
struct StorageBudget {
    var settings: VaultSettings
    let vault: Vault
    private(set) var segmentBytes: Int64 = 0
    private var measuredAtNs: UInt64 = 0
    private var looked: (atNs: UInt64, databaseBytes: Int64, freeBytes: Int64?, segmentBytes: Int64) = (0, 0, nil, 0)

    init(settings: VaultSettings, vault: Vault) {
        self.settings = settings
        self.vault = vault
        measure()
    }

    /// Walks the segment folders for their exact size on disk.
    mutating func measure() {
        segmentBytes = Int64(Vault.diskUsage(of: vault.segmentsDirectory))
        measuredAtNs = Self.nowNs()
        looked.atNs = 0
    }

    /// Whether the last measurement is older than `ageNs`: time to measure again.
    func isStale(ageNs: UInt64) -> Bool { isStale(ageNs: ageNs, since: measuredAtNs) }

    private func isStale(ageNs: UInt64, since: UInt64) -> Bool { Self.nowNs() &- since >= ageNs }

    /// Accounts a file just written (rounded up to whole 4 KiB blocks, as file systems allocate).
    mutating func added(fileBytes: Int) {
        segmentBytes += Int64((fileBytes + 4095) / 4096 * 4096)
    }

    /// The vault's current size on disk.
    var usedBytes: Int64 { segmentBytes + databaseBytes() }

    private func databaseBytes() -> Int64 {
        ["vault.sqlite", "vault.sqlite-wal", "vault.sqlite-shm"].reduce(0) { total, name in
            total + Int64(Vault.allocated(vault.directory.appendingPathComponent(name).path))
        }
    }

    /// Why `adding` more bytes may not be written now, or nil when they fit.
    mutating func refusal(adding: Int64) -> StorageRefusal? {
        let writtenSince = segmentBytes - looked.segmentBytes
        let margin = writtenSince + adding + 1 << 20
        let near =
            looked.databaseBytes + segmentBytes + margin > settings.quotaBytes
            || (looked.freeBytes.map { $0 - margin < settings.minFreeBytes } ?? true)
        if near || isStale(ageNs: 1_000_000_000, since: looked.atNs) {
            looked = (Self.nowNs(), databaseBytes(), Self.freeBytes(at: vault.directory.path), segmentBytes)
        }
        if looked.databaseBytes + segmentBytes + adding > settings.quotaBytes { return .quota(limit: settings.quotaBytes) }
        let free = looked.freeBytes.map { $0 - (segmentBytes - looked.segmentBytes) }
        if let free, free - adding < settings.minFreeBytes { return .diskFloor(free: free, floor: settings.minFreeBytes) }
        return nil
    }

    /// Bytes an unprivileged process may still write on the file system holding `path`.
    static func freeBytes(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    private static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
