import Capture
import Dispatch
import Foundation
import Privacy
import Synchronization
import UnderstudyModel
import Vault

/// Runs one recording session: capture records flow into a ``VaultWriter``, which is flushed
/// on a timer, and the session ends cleanly on a signal, at a time limit or when capture fails.
struct Recorder {
    let backend: any CaptureBackend
    let vault: Vault
    let lock: RecorderLock
    /// The policy in force, with its gate (which filters events and answers capture).
    let policy: PolicyDocument
    let policyUnsigned: Bool
    let consent: ConsentRecord
    let gate: PolicyGate
    /// Scrubs typed text before key events are stored.
    let keystrokes: KeystrokeRedactor
    var flushInterval: Duration = .milliseconds(250)

    struct Report {
        var eventsByKind: [String: Int] = [:]
        var framesStored = 0
        var framesWithheld = 0
        var segmentsSealed = 0
        var pipeline = FramePipelineStats()
        var captureError: Error?
        var consentWithdrawn = false
        var events: Int { eventsByKind.values.reduce(0, +) }

        var json: Data {
            func summary(_ values: [Double]) -> JSONValue {
                let s = FramePipelineStats.summarize(values)
                return .object([("median", .double(s.median)), ("p95", .double(s.p95)), ("count", .int(Int64(s.count)))])
            }
            let bytes = pipeline.bytesPerFrame
            let object: JSONValue = .object([
                ("events", .object(eventsByKind.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                ("frames_stored", .int(Int64(framesStored))),
                ("frames_withheld", .int(Int64(framesWithheld))),
                ("segments_sealed", .int(Int64(segmentsSealed))),
                ("pipeline", .object([
                    ("grab_ms", summary(pipeline.grabMs)),
                    ("diff_ms", summary(pipeline.diffMs)),
                    ("encode_ms", summary(pipeline.encodeMs)),
                    ("bytes_per_frame", .int(bytes.isEmpty ? 0 : Int64(bytes.reduce(0, +) / max(1, pipeline.framesStored)))),
                    ("grabs", .int(Int64(pipeline.grabMs.count))),
                    ("identical_skipped", .int(Int64(pipeline.identicalSkipped))),
                    ("missed_observations", .int(Int64(pipeline.missedObservations))),
                    ("redact_ms", summary(pipeline.redactMs)),
                    ("read_share", summary(pipeline.readShare)),
                    ("redaction_boxes", .int(Int64(pipeline.redactionBoxes))),
                    ("busy_skipped", .int(Int64(pipeline.busySkipped))),
                ])),
            ])
            return Data((object.serialized + "\n").utf8)
        }
    }

    func run(limit: Duration?) async throws -> Report {
        let elapsed = Double(MonotonicClock.nowNs() &- backend.originNs) / 1e9
        let session = Session(startedAt: WallClock.system.now().addingTimeInterval(-elapsed), backend: backend.name,
                              display: backend.display, screen: backend.screen, policyHash: policy.hash,
                              policyUnsigned: policyUnsigned, consentedAt: consent.acceptedAt)
        gate.begin(originNs: backend.originNs, originWall: session.startedAt)
        let writer = try await VaultWriter(vault: vault, session: session)
        let published = RecorderLock.State(pid: getpid(), session: session.id, display: backend.display, startedAt: session.startedAt,
                                           policy: "\(policy.policy.name) v\(policy.policy.version)")
        // Signals are handled before the state file says a recorder runs: a SIGINT sent as
        // soon as `status` shows it must stop the recorder, not be lost.
        let stopper = StopSignals { [backend] in backend.stop() }
        let tasks = TaskMarkers(redactor: TextRedactor(kinds: policy.policy.redaction), originNs: backend.originNs)
        let control = try ControlSocket.Server(vault: vault.directory) { [gate] request in
            Self.answer(request, gate: gate, tasks: tasks)
        }
        try lock.publish(published)
        let timer = limit.map { limit in Task { [backend] in
            try await Task.sleep(for: limit)
            backend.stop()
        } }
        let watcher = ConsentWatcher(policy: policy)
        let withdrawn = Mutex(false)
        let tally = EventTally()
        let flusher = Task { [flushInterval, backend, lock, gate, keystrokes] in
            var state = published
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                let now = MonotonicClock.nowNs() &- backend.originNs
                await writer.append(tally.count(keystrokes.process(gate.tick()) + keystrokes.tick(nowNs: now) + tasks.take()))
                if let exemptions = watcher.changedExemptions() { gate.update(exemptions: exemptions) }
                if watcher.consentGone() {
                    warn("consent was withdrawn: recording stops")
                    gate.stop()
                    withdrawn.withLock { $0 = true }
                    backend.stop()
                }
                do { try await writer.flush() } catch { warn("\(error) (will retry)") }
                if await writer.takeKeyframeRequest() { backend.requestKeyframe() }
                state = await Self.publish(writer.storageState, paused: gate.pausedUntil, over: state, lock: lock)
            }
        }
        var report = Report()
        do {
            for try await record in backend.records {
                await store(record, in: writer, tally: tally, report: &report)
            }
        } catch {
            report.captureError = error
        }
        flusher.cancel()
        _ = await flusher.result
        control.close()
        timer?.cancel()
        stopper.cancel()
        // Held keystrokes are scrubbed and written now; a crash would have lost them, never stored them.
        await writer.append(tally.count(keystrokes.process(gate.finish()) + keystrokes.finish() + tasks.take()))
        report.eventsByKind = tally.byKind
        try await writer.close(endedAt: WallClock.system.now())
        lock.release()
        report.pipeline = backend.pipelineStats()
        report.segmentsSealed = await writer.sealed
        report.consentWithdrawn = withdrawn.withLock { $0 }
        return report
    }

    /// Answers `understudy pause`, `resume`, `status` and `task` on the control socket.
    private static func answer(_ request: JSONValue, gate: PolicyGate, tasks: TaskMarkers) -> JSONValue {
        let cap = PolicyComparison.seconds(gate.policy.pauseCapSeconds)
        switch request["command"]?.stringValue {
        case "pause":
            let asked = request["seconds"]?.doubleValue
            let until = gate.pause(seconds: asked)
            let capped = (asked ?? .infinity) > gate.policy.pauseCapSeconds
            let note = capped ? " (the policy caps a pause at \(cap); it resumes by itself)" : " (it resumes by itself)"
            return .object([("ok", .bool(true)), ("paused_until", .string(RFC3339.string(from: until))),
                            ("message", .string("Paused until \(clockTime(until))\(note)."))])
        case "resume":
            let resumed = gate.resume()
            return .object([("ok", .bool(true)), ("message", .string(resumed ? "Recording again." : "Recording was not paused."))])
        case "status":
            return .object([("ok", .bool(true)), ("paused_until", gate.pausedUntil.map { .string(RFC3339.string(from: $0)) } ?? .null),
                            ("task", tasks.open.map { .string($0) } ?? .null)])
        case "task.start":
            return tasks.start(request["instruction"]?.stringValue ?? "")
        case "task.end":
            return tasks.end(failed: request["failed"]?.boolValue ?? false)
        default:
            return .object([("ok", .bool(false)), ("message", .string("unknown command"))])
        }
    }

    /// Tells `understudy status` (through the lock's state file) when storing stops or resumes.
    private static func publish(_ storage: VaultWriter.StorageState, paused: Date?, over state: RecorderLock.State,
                                lock: RecorderLock) -> RecorderLock.State {
        var next = state
        next.pausedUntil = paused
        switch storage {
        case .storing:
            (next.notStoring, next.notStoringSince) = (nil, nil)
        case let .stopped(refusal, since):
            (next.notStoring, next.notStoringSince) = (refusal.description, since)
        }
        guard next != state else { return state }
        if next.notStoring != state.notStoring {
            if next.notStoring != nil { warn("not storing: \(next.notStoring!)") } else { warn("storing again") }
        }
        do { try lock.publish(next) } catch { warn("\(error)") }
        return next
    }

    private func store(_ record: CaptureRecord, in writer: VaultWriter, tally: EventTally, report: inout Report) async {
        switch record {
        case let .events(events):
            await writer.append(tally.count(keystrokes.process(gate.filter(events))))
        case let .frame(manifest):
            if manifest.withheld == nil { report.framesStored += 1 } else { report.framesWithheld += 1 }
            await writer.append(frame: manifest)
        case let .tiles(patch):
            await writer.append(patch: patch)
        }
    }
}

/// Task boundaries from `understudy task start|end`, held until the flusher stores them.
/// One task is open at a time; its instruction is redacted like typed text before it is kept.
final class TaskMarkers: Sendable {
    private struct State {
        var open: String?
        var pending: [CapturedEvent] = []
    }

    private let state = Mutex(State())
    private let redactor: TextRedactor
    private let originNs: UInt64

    init(redactor: TextRedactor, originNs: UInt64) {
        self.redactor = redactor
        self.originNs = originNs
    }

    /// The open task's (redacted) instruction.
    var open: String? { state.withLock { $0.open } }

    func start(_ instruction: String) -> JSONValue {
        let text = redactor.redact(instruction.trimmingCharacters(in: .whitespacesAndNewlines)).text
        guard !text.isEmpty else { return Self.answer(false, "Say what the task is: understudy task start \"INSTRUCTION\".") }
        let now = MonotonicClock.nowNs() &- originNs
        return state.withLock {
            if let open = $0.open {
                return Self.answer(false, "A task is already open (\"\(open)\"): end it first with `understudy task end`.")
            }
            $0.open = text
            $0.pending.append(CapturedEvent(tNs: now, body: .taskStart(instruction: text)))
            return Self.answer(true, "Task started: \(text)")
        }
    }

    func end(failed: Bool) -> JSONValue {
        let now = MonotonicClock.nowNs() &- originNs
        return state.withLock {
            guard let open = $0.open else { return Self.answer(false, "No task is open (start one with `understudy task start`).") }
            $0.open = nil
            $0.pending.append(CapturedEvent(tNs: now, body: .taskEnd(outcome: failed ? .failed : .done)))
            return Self.answer(true, "Task \(failed ? "ended as failed" : "done"): \(open)")
        }
    }

    /// The markers not yet stored, in order.
    func take() -> [CapturedEvent] {
        state.withLock { state in
            defer { state.pending = [] }
            return state.pending
        }
    }

    private static func answer(_ ok: Bool, _ message: String) -> JSONValue {
        .object([("ok", .bool(ok)), ("message", .string(message))])
    }
}

/// Counts the events handed to the writer, by kind, for the end-of-session report.
final class EventTally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts `events` and returns them.
    func count(_ events: [CapturedEvent]) -> [CapturedEvent] {
        counts.withLock { for event in events { $0[event.body.kind, default: 0] += 1 } }
        return events
    }

    var byKind: [String: Int] { counts.withLock { $0 } }
}

/// Notices, from their files' modification times, when the contributor changes exemptions
/// or withdraws consent while recording.
final class ConsentWatcher: @unchecked Sendable {
    private let policy: PolicyDocument
    private let consents = ConsentStore()
    private let exemptions = ExemptionStore()
    private var consentModified: Date?
    private var exemptionsModified: Date?

    init(policy: PolicyDocument) {
        self.policy = policy
        consentModified = consents.modified
        exemptionsModified = exemptions.modified
    }

    /// The exemptions, when their file changed since the last call.
    func changedExemptions() -> [Exemption]? {
        let modified = exemptions.modified
        guard modified != exemptionsModified else { return nil }
        exemptionsModified = modified
        do {
            return try exemptions.load().exemptions
        } catch {
            warn("\(error); the exemptions in force stay as they were")
            return nil
        }
    }

    /// True when the consent this recording runs under is gone.
    func consentGone() -> Bool {
        let modified = consents.modified
        guard modified != consentModified else { return false }
        consentModified = modified
        switch try? consents.decision(for: policy) {
        case .consented, .narrows: return false
        default: return true
        }
    }
}

/// `14:05:09` in local time, for messages.
func clockTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "HH:mm:ss"
    return formatter.string(from: date)
}

/// Turns SIGINT and SIGTERM into a call, once, instead of ending the process: the recorder
/// must flush what it captured.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
