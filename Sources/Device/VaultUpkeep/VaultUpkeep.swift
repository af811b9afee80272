import Foundation
import UnderstudyModel
import Vault

extension VaultCheckReport {
    /// What `vault check` prints: each damaged part, each note, then the verdict.
    public func text(vault: Vault) -> String {
        let verdict =
            "\(isHealthy ? "OK" : "DAMAGED"): \(count(segments, "segment")), \(count(events, "event")), \(count(frames, "frame")), "
            + "\(count(patches, "patch file")) checked in \(vault.directory.path)"
        return (problems.map { "DAMAGED: \($0)" } + notes.map { "note: \($0)" } + [verdict]).joined(separator: "\n")
    }
}

/// One line of `vault segments`: a segment, the unit its owner reviews and forgets.
public struct VaultSegmentLine: Encodable, Sendable {
    public var id: String
    public var session: String
    public var sealed: Bool
    public var from: Date
    public var to: Date
    public var events: Int
    public var frames: Int
    public var bytes: Int64

    public init(_ s: SegmentInfo) {
        (id, session, sealed, from, to) = (s.id, s.session, s.sealed, s.from, s.to)
        (events, frames, bytes) = (s.events, s.frames, s.bytes)
    }

    public var text: String {
        "\(id)  \(RFC3339.string(from: from)) to \(RFC3339.string(from: to))  \(events) events  \(frames) frames  \(ByteSizeText.string(bytes))"
            + (sealed ? "" : "  (open)")
    }
}

/// What `vault prune` did: the segments a killed recorder left open, sealed; the files it
/// left uncommitted, removed; the segments past retention, deleted.
public struct VaultPruning: Sendable {
    public var sealed = 0
    public var strayFiles = 0
    public var deleted = 0
    public var retentionSeconds: Int64 = 0

    /// Finishes what a killed recorder left (only when no recorder runs), then prunes.
    public static func run(_ vault: Vault) throws -> VaultPruning {
        var pruning = VaultPruning()
        if let lock = RecorderLock.ifFree(vault: vault) {
            defer { lock.release() }
            let recovery = try vault.recover()
            (pruning.sealed, pruning.strayFiles) = (recovery.sealed.count, recovery.strayFiles)
        }
        pruning.deleted = try vault.prune().count
        pruning.retentionSeconds = try vault.settings().retentionSeconds
        return pruning
    }

    public var text: String {
        var lines: [String] = []
        if sealed > 0 { lines.append("Sealed \(sealed) segment(s) an interrupted recorder left open.") }
        if strayFiles > 0 { lines.append("Removed \(strayFiles) uncommitted file(s) it left.") }
        lines.append("Deleted \(count(deleted, "segment")) older than \(DurationText.string(seconds: retentionSeconds)).")
        return lines.joined(separator: "\n")
    }
}

/// A change to a vault's limits, each field left as it is when nil.
public struct VaultLimitsChange: Sendable {
    public var quotaBytes: Int64?
    public var minFreeBytes: Int64?
    public var retention: Duration?
    public var segmentDuration: Duration?
    public var segmentBytes: Int64?

    public init() {}

    /// Saves the change (when it changes anything) and returns the limits now in force.
    public func apply(to vault: Vault) throws -> VaultSettings {
        let saved = try vault.settings()
        var settings = saved
        if let quotaBytes { settings.quotaBytes = quotaBytes }
        if let minFreeBytes { settings.minFreeBytes = minFreeBytes }
        if let retention { settings.retentionSeconds = retention.components.seconds }
        if let segmentDuration { settings.segmentSeconds = segmentDuration.components.seconds }
        if let segmentBytes { settings.segmentBytes = segmentBytes }
        if settings != saved { try vault.save(settings) }
        return settings
    }
}

extension VaultSettings {
    /// The limits as `vault config` prints them; `key` says where the vault's key is.
    public func text(key: String) -> String {
        """
        quota:            \(ByteSizeText.string(quotaBytes))
        min-free:         \(ByteSizeText.string(minFreeBytes))
        retention:        \(DurationText.string(seconds: retentionSeconds))
        segment-duration: \(DurationText.string(seconds: segmentSeconds))
        segment-size:     \(ByteSizeText.string(segmentBytes))
        key:              \(key)
        """
    }
}

extension Vault.ForgetOutcome {
    /// What `forget` prints: how much was forgotten.
    public var text: String {
        let events = forgotten.reduce(0) { $0 + $1.events }
        let frames = forgotten.reduce(0) { $0 + $1.frames }
        return "Forgot \(count(forgotten.count, "segment")) (\(events) events, \(frames) frames)."
    }
}
