import Foundation
import Privacy
import Testing

@testable import Device

@Suite("The contributor's identifiers on this machine")
struct AccountIdentityTests {
    @Test("Git's user name and e-mail are read from its XDG file and ~/.gitconfig; other sections, and files that are missing, add nothing")
    func git() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("understudy-home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".config/git"), withIntermediateDirectories: true)
        try Data("[core]\n\tname = not-a-person\n[user]\n\tname = \"Alice Martin\"\n\temail = alice.martin@acme.example\n".utf8)
            .write(to: home.appendingPathComponent(".gitconfig"))
        try Data("[User]\n  email=alice@home.example\n".utf8).write(to: home.appendingPathComponent(".config/git/config"))
        let found = AccountIdentity.gitIdentity(environment: ["HOME": home.path])
        #expect(found.names == ["Alice Martin"])
        #expect(found.emails == ["alice@home.example", "alice.martin@acme.example"])
        #expect(AccountIdentity.gitIdentity(environment: ["HOME": home.appendingPathComponent("nowhere").path]) == ([], []))
    }

    @Test("The account's login and home folder, and the host's name, are gathered; the environment's HOME is a home too")
    func account() throws {
        let identity = AccountIdentity.gather(environment: ["HOME": "/tmp/understudy-elsewhere"])
        let login = try #require(getpwuid(getuid())).pointee.pw_name.map { String(cString: $0) }
        #expect(identity.logins.contains(login ?? ""))
        #expect(identity.homes.contains("/tmp/understudy-elsewhere"))
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        #expect(identity.hosts == [String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)])
    }
}
