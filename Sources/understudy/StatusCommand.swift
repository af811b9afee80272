import ArgumentParser
import Device
import Foundation
import UnderstudyModel
import Vault

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say whether a recorder is running, and what the vault holds."
    )

    @OptionGroup var vaultOptions: VaultOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let directory = vaultOptions.directory
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("vault.sqlite").path) else {
            print(
                json
                    ? JSONValue.object([("state", .string("idle")), ("vault", .string(directory.path)), ("exists", .bool(false))]).serialized
                    : "Not recording. No vault at \(directory.path) yet.")
            return
        }
        let vault = try Vault(at: directory, create: false)
        var recorder = RecorderLock.running(in: vault)
        var task: String?
        // The recorder itself knows best whether it is paused (its state file lags by up to 250 ms).
        if recorder != nil, let live = try? ControlSocket.send(ControlRequest(.status), vault: directory) {
            recorder?.pausedUntil = live.pausedUntil
            task = live.task
        }
        let summary = try vault.summary()
        print(json ? Self.json(recorder, task: task, summary, vault).serialized : Self.text(recorder, task: task, summary, vault))
    }

    static func json(_ recorder: RecorderLock.State?, task: String?, _ s: Vault.Summary, _ vault: Vault) -> JSONValue {
        var members: [(String, JSONValue)] = [("state", .string(recorder == nil ? "idle" : "recording"))]
        if let recorder {
            members += [
                ("pid", .int(Int64(recorder.pid))), ("session", .string(recorder.session)),
                ("display", .string(recorder.display)), ("since", .string(RFC3339.string(from: recorder.startedAt))),
                ("storing", .bool(recorder.notStoring == nil)), ("policy", recorder.policy.map { .string($0) } ?? .null),
                ("paused_until", recorder.pausedUntil.map { .string(RFC3339.string(from: $0)) } ?? .null),
                ("task", task.map { .string($0) } ?? .null),
            ]
            if let reason = recorder.notStoring {
                members += [
                    ("not_storing", .string(reason)),
                    ("not_storing_since", .string(RFC3339.string(from: recorder.notStoringSince ?? recorder.startedAt))),
                ]
            }
        }
        return .object(
            members + [
                ("vault", .string(vault.directory.path)), ("exists", .bool(true)),
                ("key", .string(vault.keyLocation)), ("key_present", .bool(vault.canDecrypt)),
                ("sessions", .int(Int64(s.sessions))), ("segments", .int(Int64(s.segments))), ("open_segments", .int(Int64(s.openSegments))),
                ("events", .object(s.eventsByKind.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                ("frames", .int(Int64(s.frames))), ("patches", .int(Int64(s.patches))),
                ("patch_bytes", .int(Int64(s.patchBytes))), ("bytes_on_disk", .int(Int64(s.bytesOnDisk))),
            ])
    }

    static func text(_ recorder: RecorderLock.State?, task: String?, _ s: Vault.Summary, _ vault: Vault) -> String {
        var state =
            recorder.map {
                "Recording display \($0.display) since \(RFC3339.string(from: $0.startedAt)) (pid \($0.pid), session \($0.session))."
            } ?? "Not recording."
        if let task { state += "\nTask: \(task)" }
        if let recorder, let policy = recorder.policy { state += "\nPolicy: \(policy)." }
        if let recorder, let until = recorder.pausedUntil {
            state += "\nPAUSED until \(clockTime(until)) (\(RFC3339.string(from: until))): nothing is recorded; `understudy resume` resumes now."
        }
        if let recorder, let reason = recorder.notStoring {
            state += "\nNOT STORING since \(RFC3339.string(from: recorder.notStoringSince ?? recorder.startedAt)): \(reason)."
        }
        if vault.encrypted && !vault.canDecrypt {
            state += "\nThe vault key is missing (expected at \(vault.keyLocation)): nothing in this vault can be read."
        }
        let kinds = EventBody.allKinds.compactMap { kind in s.eventsByKind[kind].map { "\(kind) \($0)" } }.joined(separator: ", ")
        return """
            \(state)
            Vault: \(vault.directory.path) (\(s.sessions) session\(s.sessions == 1 ? "" : "s"), \(s.segments) segment\(s.segments == 1 ? "" : "s"))
            Encrypted: \(vault.encrypted ? "yes, key at \(vault.keyLocation)" : "no")
            Events: \(s.events)\(kinds.isEmpty ? "" : " (\(kinds))")
            Frames: \(s.frames), their pixels \(bytes(s.patchBytes)) in \(s.patches) tile patches
            On disk: \(bytes(s.bytesOnDisk))
            """
    }

    static func bytes(_ n: Int) -> String {
        ByteCountFormatter.string(fromByteCount: Int64(n), countStyle: .file)
    }
}
