import Foundation
import Testing
import UnderstudyModel

@Suite("Scratch folders for decrypted data")
struct ScratchFolderTests {
    func parent() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("understudy-scratch-test-\(UUID().uuidString)") }
    func mode(_ url: URL) -> Int? { (try? FileManager.default.attributesOfItem(atPath: url.path))?[.posixPermissions] as? Int }

    @Test("A scratch folder and its parent are owner-only whatever the umask, and remove() leaves nothing")
    func ownerOnly() throws {
        let parent = parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let old = umask(0)
        defer { umask(old) }
        let scratch = try ScratchFolder(in: parent, purpose: "sync")
        #expect(mode(parent) == 0o700 && mode(scratch.url) == 0o700)
        scratch.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent.path).isEmpty)
    }

    @Test("What a killed command left is removed by the next scratch folder made there; a live command's is left alone")
    func leftovers() throws {
        let parent = parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        let first = try ScratchFolder(in: parent, purpose: "sync")
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let killed = parent.appendingPathComponent("sync-\(finished.processIdentifier)-left-over")
        try FileManager.default.createDirectory(at: killed, withIntermediateDirectories: false)
        try Data("plaintext bundle".utf8).write(to: killed.appendingPathComponent("segment.tar"))
        let second = try ScratchFolder(in: parent, purpose: "sync")
        #expect(!FileManager.default.fileExists(atPath: killed.path))
        #expect(FileManager.default.fileExists(atPath: first.url.path), "this process is alive: its folder stays")
        second.remove()
        first.remove()
    }

    @Test("A parent others can read is refused, with what to do")
    func sharedParent() throws {
        let parent = parent()
        defer { try? FileManager.default.removeItem(at: parent) }
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        #expect {
            _ = try ScratchFolder(in: parent, purpose: "export")
        } throws: { error in
            "\(error)".contains("owner-only")
        }
    }
}
