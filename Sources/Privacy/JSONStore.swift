import Foundation
import UnderstudyModel

/// Why a consent, exemption or key file could not be read or written.
public enum PrivacyStoreError: Error, Equatable, CustomStringConvertible {
    case unreadable(String, String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unwritable(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}

/// Small owner-only JSON files, replaced atomically so a crash leaves the old or the new one.
enum JSONStore {
    static func load<T: Decodable>(_ type: T.Type, from url: URL) throws(PrivacyStoreError) -> T? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw .unreadable(url.path, "it is damaged (\(error)); move it away to start afresh")
        }
    }

    static func save<T: Encodable>(_ value: T, to url: URL) throws(PrivacyStoreError) {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try DurableFile.replace(url.path, contents: try encoder.encode(value))
        } catch let error as DurableFile.Failure {
            throw .unwritable(url.path, error.description)
        } catch {
            throw .unwritable(url.path, "\(error.localizedDescription)")
        }
    }

    static func modified(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()
}
