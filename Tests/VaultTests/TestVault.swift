import Foundation
import Testing
import UnderstudyModel

@testable import Vault

/// A vault in a temporary folder with its key in another temporary folder, removed at the end.
///
/// Its clock is a ``ManualClock`` set a little after ``epoch``, where ``session(startedAt:)``
/// starts sessions by default: retention and forgetting decide by that clock, never by the
/// day the suite runs.
struct TestVault: ~Copyable {
    /// When test sessions start unless a test says otherwise.
    static let epoch = Date(timeIntervalSince1970: 1_795_000_000)

    let directory: URL
    let keys: KeyFileStore
    /// What the vault takes as now; a test moves it to make time pass.
    let clock = ManualClock(TestVault.epoch.addingTimeInterval(120))

    init() {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-vault-\(UUID().uuidString)")
        directory = base.appendingPathComponent("vault")
        keys = KeyFileStore(directory: base.appendingPathComponent("keys"))
    }

    /// A vault on a file system of its own (for disk-full tests).
    init(directory: URL) {
        self.directory = directory.appendingPathComponent("vault")
        keys = KeyFileStore(directory: FileManager.default.temporaryDirectory.appendingPathComponent("understudy-keys-\(UUID().uuidString)"))
    }

    func open(create: Bool = true, encrypted: Bool = true) throws -> Vault {
        try Vault(at: directory, create: create, keyStore: keys, encrypted: encrypted, clock: clock.wallClock)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
        try? FileManager.default.removeItem(at: keys.directory)
    }

    static func session(startedAt: Date = epoch) -> Session {
        Session(
            startedAt: startedAt, backend: "test", display: ":9",
            screen: ScreenGeometry(
                width: 1920, height: 1080, monitors: [Monitor(name: "VGA-1", x: 0, y: 0, width: 1920, height: 1080, primary: true)]))
    }

    /// Every file under the vault folder, with its bytes (database, log, patches, lock files).
    func allFiles() throws -> [(path: String, bytes: Data)] {
        var files: [(String, Data)] = []
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            files.append((url.path, try Data(contentsOf: url)))
        }
        return files
    }

    /// The files under the vault folder that contain `needle` anywhere, also inside the event
    /// chunks deflated before sealing (found by their marker and inflated): with encryption off
    /// they are how a vault shows its events, and compression must not hide them from the search.
    func filesContaining(_ needle: Data) throws -> [String] {
        try allFiles().filter { file in
            file.bytes.range(of: needle) != nil || Self.deflatedChunks(in: file.bytes).contains { $0.range(of: needle) != nil }
        }.map(\.path)
    }

    /// Every run of bytes that inflates as an event chunk does (marker, length, zlib stream) to JSON lines.
    static func deflatedChunks(in data: Data) -> [Data] {
        let bytes = [UInt8](data)
        guard bytes.count >= 7 else { return [] }
        return (0..<(bytes.count - 6)).compactMap { i -> Data? in
            guard bytes[i] == 0x01, bytes[i + 5] == 0x78, let lines = SealedText.unpacked(Data(bytes[i...])),
                lines.first == UInt8(ascii: "{")
            else { return nil }
            return lines
        }
    }
}

/// Writes events (and optionally frames) through a real writer.
func record(
    _ vault: Vault, session: Session = TestVault.session(), events: [CapturedEvent],
    patches: [(TilePatch, FrameManifest)] = []
) async throws {
    let writer = try await VaultWriter(vault: vault, session: session)
    await writer.append(events)
    for (patch, frame) in patches {
        await writer.append(patch: patch)
        await writer.append(frame: frame)
    }
    try await writer.close(endedAt: session.startedAt.addingTimeInterval(60))
}
