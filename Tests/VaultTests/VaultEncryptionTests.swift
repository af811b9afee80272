import Foundation
import GRDB
import Testing
import UnderstudyModel

@testable import Vault

/// Known strings and pixels, written through the normal writer and then searched for in
/// every byte of the vault folder.
struct PlantedSecrets {
    static let typed = "planted-typed-Xq7Zt9"
    static let title = "Planted Window Title Kw3v"
    static let app = "planted-app-Rr8"
    static let frameHash = "planted-frame-hash-1d2e3f"
    static let pixels = Data((0..<256).map { UInt8(($0 * 7 + 13) % 256) })
    static let tile = TileHash(high: 0x1122_3344_5566_7788, low: 0x99AA_BBCC_DDEE_FF00)

    static var events: [CapturedEvent] {
        [
            CapturedEvent(tNs: 1_000_000, body: .focus(WindowContext(app: app, title: title, pid: 42, window: 7, rect: [0, 0, 100, 100]))),
            CapturedEvent(tNs: 2_000_000, body: .keyDown(key: "a", keycode: 38, mods: [], text: typed)),
            CapturedEvent(tNs: 3_000_000, body: .frame(frame: frameHash, w: 128, h: 128, reason: .action)),
        ]
    }

    static var frame: (TilePatch, FrameManifest) {
        (
            TilePatch(hash: "p", codec: .png, tileSize: 128, tiles: [tile], data: pixels),
            FrameManifest(hash: frameHash, width: 128, height: 128, tileSize: 128, grabbedNs: 3_000_000, reason: .action, tiles: [tile])
        )
    }

    static var needles: [(String, Data)] {
        [
            ("typed text", Data(typed.utf8)), ("window title", Data(title.utf8)), ("app", Data(app.utf8)),
            ("frame hash", Data(frameHash.utf8)), ("pixels", pixels.prefix(64)), ("tile hash", Data(tile.bytes)),
        ]
    }
}

@Suite("Vault encryption at rest")
struct VaultEncryptionTests {
    @Test("Without the key, no byte of the vault folder reveals typed text, titles, apps, frame or tile hashes, or pixels")
    func nothingInClear() async throws {
        let test = TestVault()
        let vault = try test.open()
        try await record(vault, events: PlantedSecrets.events, patches: [PlantedSecrets.frame])
        #expect(try vault.summary().events == 3)
        for (what, needle) in PlantedSecrets.needles {
            #expect(try test.filesContaining(needle) == [], "\(what) found in clear")
        }
        // The owner, with the key, reads it all back.
        var typed: [String] = []
        try vault.forEachEvent { _, event in
            if case .keyDown(_, _, _, let text?) = event.body { typed.append(text) }
        }
        #expect(typed == [PlantedSecrets.typed])
        let session = try #require(try vault.sessions().first, "the session was stored")
        let (segment, frame) = try #require(try vault.frame(session: session.id, hash: PlantedSecrets.frameHash))
        try #require(frame.tiles.count == 1)
        #expect(try vault.tilePatch(segment: segment, tile: frame.tiles[0])?.data == PlantedSecrets.pixels)
    }

    @Test(
        "A segment keeps the apps and sites its focus events name, sealed with its key: the owner reads them back in order of first focus, once each, and no byte of the vault folder shows them in clear"
    )
    func placesSealed() async throws {
        let test = TestVault()
        let vault = try test.open()
        let host = "planted-host-Jm4.example"
        let window = { (app: String, url: String?) in WindowContext(app: app, title: "t", pid: 1, window: 7, rect: [0, 0, 10, 10], url: url) }
        let events = [
            CapturedEvent(tNs: 1_000_000, body: .focus(window(PlantedSecrets.app, nil))),
            CapturedEvent(tNs: 2_000_000, body: .focus(window("Chromium", "https://\(host)/notes?q=1"))),
            CapturedEvent(tNs: 3_000_000, body: .focus(window(PlantedSecrets.app, nil))),
            CapturedEvent(tNs: 4_000_000, body: .keyDown(key: "a", keycode: 38, mods: [], text: "a")),
        ]
        try await record(vault, events: events)
        let segments = try vault.segments()
        let places = try vault.places(of: segments)
        #expect(places[try #require(segments.first).id] == SegmentPlaces(apps: [PlantedSecrets.app, "Chromium"], sites: [host]))
        for needle in [PlantedSecrets.app, host] { #expect(try test.filesContaining(Data(needle.utf8)) == [], "\(needle) found in clear") }
    }

    @Test("The same search finds every planted secret in a vault written with encryption off, so the search itself works")
    func searchFindsPlaintext() async throws {
        let test = TestVault()
        let vault = try test.open(encrypted: false)
        try await record(vault, events: PlantedSecrets.events, patches: [PlantedSecrets.frame])
        for (what, needle) in PlantedSecrets.needles where what != "frame hash" && what != "tile hash" {
            #expect(try !test.filesContaining(needle).isEmpty, "\(what) not found in an unencrypted vault")
        }
    }

    @Test("The vault key lives outside the vault, owner-only, and a copy of the vault folder alone cannot be read")
    func keyOutsideVault() async throws {
        let test = TestVault()
        let vault = try test.open()
        try await record(vault, events: PlantedSecrets.events)
        let keyPath = test.keys.location(vaultID: vault.id)
        #expect(!keyPath.hasPrefix(test.directory.path))
        #expect(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: test.keys.directory.path)[.posixPermissions] as? Int == 0o700)
        #expect(try test.allFiles().allSatisfy { $0.bytes.range(of: try Data(contentsOf: URL(fileURLWithPath: keyPath)).suffix(20)) == nil })

        try FileManager.default.removeItem(atPath: keyPath)
        let copy = try test.open(create: false)
        #expect(!copy.canDecrypt)
        #expect(throws: VaultError.keyMissing(keyPath)) { try copy.forEachEvent { _, _ in } }
        await #expect(throws: VaultError.keyMissing(keyPath)) { _ = try await VaultWriter(vault: copy, session: TestVault.session()) }
        let report = try copy.check()
        #expect(report.problems.contains { $0.contains("the vault key is missing") })
    }

    @Test("A key file others can read is refused, as ssh refuses such a private key")
    func exposedKey() throws {
        let test = TestVault()
        let vault = try test.open()
        let keyPath = test.keys.location(vaultID: vault.id)
        chmod(keyPath, 0o644)
        #expect(throws: VaultError.keyExposed(keyPath)) { try test.open(create: false) }
    }

    @Test("Another vault's key is recognised as the wrong key, not mistaken for damage")
    func wrongKey() throws {
        let test = TestVault()
        let vault = try test.open()
        let keyPath = test.keys.location(vaultID: vault.id)
        let other = TestVault()
        let otherVault = try other.open()
        try FileManager.default.removeItem(atPath: keyPath)
        try FileManager.default.copyItem(atPath: other.keys.location(vaultID: otherVault.id), toPath: keyPath)
        #expect(throws: VaultError.wrongKey(keyPath)) { try test.open(create: false) }
    }
}
