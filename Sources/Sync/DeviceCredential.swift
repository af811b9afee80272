import Crypto
import Foundation
import UnderstudyModel

/// This device's enrolment with a collector: the server, the ids it gave, and the Ed25519
/// private key that signs every request. The key file is owner-only and never leaves the device.
public struct DeviceCredential: Sendable {
    public var server: URL
    public var device: String
    public var contributor: String
    /// The private key's raw bytes (`Curve25519.Signing.PrivateKey` is not `Sendable`).
    private let keyBytes: Data
    public var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: keyBytes) }

    public static func folder(config: URL = UserDirectories.config) -> URL {
        config.appendingPathComponent("device", isDirectory: true)
    }

    public init(server: URL, device: String, contributor: String, key: Curve25519.Signing.PrivateKey) {
        self.server = server
        self.device = device
        self.contributor = contributor
        keyBytes = key.rawRepresentation
    }

    /// `device.json`: what the collector gave at enrolment (the key is kept apart, in `device.key`).
    private struct Record: Codable {
        var server: String
        var device: String
        var contributor: String
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notEnrolled(String)
        case damaged(String)

        public var description: String {
            switch self {
            case .notEnrolled(let folder):
                "this device is not enrolled (no credential in \(folder)): run `understudy enroll --server URL --code CODE`"
            case .damaged(let reason): "the device credential is unusable: \(reason)"
            }
        }
    }

    public static func load(from folder: URL = folder()) throws(Failure) -> DeviceCredential {
        let info = folder.appendingPathComponent("device.json")
        let keyFile = folder.appendingPathComponent("device.key")
        guard let data = FileManager.default.contents(atPath: info.path) else { throw .notEnrolled(folder.path) }
        guard let record = try? JSONDecoder().decode(Record.self, from: data), let server = URL(string: record.server) else {
            throw .damaged("\(info.path) is not a device record")
        }
        let mode = (try? FileManager.default.attributesOfItem(atPath: keyFile.path)[.posixPermissions] as? Int) ?? 0
        guard mode & 0o077 == 0 else { throw .damaged("\(keyFile.path) is readable by others: chmod 600 it") }
        guard let text = try? String(contentsOf: keyFile, encoding: .utf8),
            let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { throw .damaged("\(keyFile.path) holds no Ed25519 key") }
        return DeviceCredential(server: server, device: record.device, contributor: record.contributor, key: key)
    }

    /// Writes the record and the key (owner-only), replacing an earlier enrolment.
    public func save(to folder: URL = folder()) throws(Failure) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let keyFile = folder.appendingPathComponent("device.key")
            try DurableFile.replace(keyFile.path, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8))
            let record = Record(server: server.absoluteString, device: device, contributor: contributor)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try DurableFile.replace(folder.appendingPathComponent("device.json").path, contents: try encoder.encode(record) + Data("\n".utf8))
        } catch let error as Failure {
            throw error
        } catch {
            throw .damaged("cannot save: \(error.localizedDescription)")
        }
    }

    /// A new key pair, not yet enrolled: the credential (with placeholder ids) and the public key in base64.
    public static func generate() -> (credential: DeviceCredential, publicKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        return (
            DeviceCredential(server: URL(string: "http://unenrolled")!, device: "", contributor: "", key: key),
            key.publicKey.rawRepresentation.base64EncodedString()
        )
    }

    /// The signature headers for a request (``RequestSigning``), dated `now`.
    public func headers(method: String, target: String, contentSHA256: String, now: Date) throws -> [(String, String)] {
        let date = Int64(now.timeIntervalSince1970)
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255) }.hexDigits
        let signature = try key.signature(
            for: RequestSigning.message(method: method, target: target, date: date, nonce: nonce, contentSHA256: contentSHA256))
        return [
            ("Authorization", "\(RequestSigning.scheme) \(device)"), (RequestSigning.dateHeader, String(date)),
            (RequestSigning.nonceHeader, nonce), (RequestSigning.contentHeader, contentSHA256),
            (RequestSigning.signatureHeader, signature.base64EncodedString()),
        ]
    }
}

extension DeviceCredential {
    /// Runs `body` with a client signing as this device (its saved credential).
    public static func session<T>(_ body: (CollectorClient, CollectorClient.Identity) async throws -> T) async throws -> T {
        let credential = try load()
        return try await CollectorClient.with(credential.server) { client in try await body(client, .device(credential)) }
    }
}
