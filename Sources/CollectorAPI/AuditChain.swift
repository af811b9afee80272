import Crypto
import Foundation
import UnderstudyModel

/// An audit record as the hash chain sees it: the fields its hash covers, and the hash.
///
/// The server's stored records and the listings `GET /v1/audit` answers with both are one, so
/// the chain is checked the same way on either side.
public protocol AuditChainLink {
    var seq: Int64 { get }
    /// The record's time in whole milliseconds since 1970: what the hash covers, not a `Date`.
    var atMs: Int64 { get }
    var actor: String { get }
    var action: String { get }
    var subject: String? { get }
    var detail: String { get }
    var previousHash: String { get }
    var hash: String { get }
}

extension AuditRecordListing: AuditChainLink {}

/// The audit log's hash chain: each record's hash covers its fields and the hash before it,
/// so removing or editing a record breaks every hash after it.
public enum AuditChain {
    /// What the first record's `previousHash` is.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256, hex, over the record's fields (each preceded by its length) and the hash before it.
    public static func hash(of r: some AuditChainLink) -> String {
        let fields = [String(r.seq), String(r.atMs), r.actor, r.action, r.subject ?? "", r.detail, r.previousHash]
        let text = fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "|")
        return SHA256.hash(data: Data(text.utf8)).hexDigits
    }

    /// A record's time as it is stored and hashed: whole milliseconds since 1970.
    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// The first record that breaks the chain (edited, or following a removed one), or nil when it holds.
    public static func firstBreak<Link: AuditChainLink>(in records: [Link]) -> Link? {
        var previous = genesis
        var expected: Int64 = 1
        for record in records {
            if record.seq != expected || record.previousHash != previous || hash(of: record) != record.hash { return record }
            previous = record.hash
            expected += 1
        }
        return nil
    }
}
