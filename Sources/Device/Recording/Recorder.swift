import Capture
import Dispatch
import Foundation
import Privacy
import Synchronization
import UnderstudyModel
import Vault

/// Runs one recording session: capture records flow into a ``VaultWriter``, which is flushed
/// on a timer, and the session ends cleanly on a signal, at a time limit or when capture fails.
public struct Recorder {
    public let backend: any CaptureBackend
    public let vault: Vault
    public let lock: RecorderLock
    /// The policy in force, with its gate (which filters events and answers capture).
    public let policy: PolicyDocument
    public let policyUnsigned: Bool
    public let consent: ConsentRecord
    public let gate: PolicyGate
    /// Scrubs typed text before key events are stored.
    public let keystrokes: KeystrokeRedactor
    public var flushInterval: Duration = .milliseconds(250)

    /// What a session captured and stored, for the recorder's last line and `--stats`.
    public struct Report: Sendable {
        public var eventsByKind: [String: Int] = [:]
        public var framesStored = 0
        public var framesWithheld = 0
        public var segmentsSealed = 0
        public var pipeline = FramePipelineStats()
        public var captureError: Error?
        public var consentWithdrawn = false
        public var events: Int { eventsByKind.values.reduce(0, +) }

        public var json: Data {
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
                (
                    "pipeline",
                    .object([
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
                    ])
                ),
            ])
            return Data((object.serialized + "\n").utf8)
        }
    }

    public init(
        backend: any CaptureBackend, vault: Vault, lock: RecorderLock, policy: PolicyDocument, policyUnsigned: Bool,
        consent: ConsentRecord, gate: PolicyGate, keystrokes: KeystrokeRedactor
    ) {
        self.backend = backend
        self.vault = vault
        self.lock = lock
        self.policy = policy
        self.policyUnsigned = policyUnsigned
        self.consent = consent
        self.gate = gate
        self.keystrokes = keystrokes
    }

    /// Records until `limit` passes, SIGINT or SIGTERM arrives, consent is withdrawn or
    /// capture fails; everything captured before then is written before it returns.
    public func run(limit: Duration?) async throws -> Report {
        let elapsed = Double(MonotonicClock.nowNs() &- backend.originNs) / 1e9
        let session = Session(
            startedAt: WallClock.system.now().addingTimeInterval(-elapsed), backend: backend.name,
            display: backend.display, screen: backend.screen, policyHash: policy.hash,
            policyUnsigned: policyUnsigned, consentedAt: consent.acceptedAt)
        gate.begin(originNs: backend.originNs, originWall: session.startedAt)
        let writer = try await VaultWriter(vault: vault, session: session)
        let published = RecorderLock.State(
            pid: getpid(), session: session.id, display: backend.display, startedAt: session.startedAt,
            policy: "\(policy.policy.name) v\(policy.policy.version)")
        // Signals are handled before the state file says a recorder runs: a SIGINT sent as
        // soon as `status` shows it must stop the recorder, not be lost.
        let stopper = StopSignals { [backend] in backend.stop() }
        let tasks = TaskMarkers(redactor: TextRedactor(kinds: policy.policy.redaction), originNs: backend.originNs)
        let control = try ControlSocket.Server(vault: vault.directory) { [gate] request in
            Self.answer(request, gate: gate, tasks: tasks)
        }
        try lock.publish(published)
        let timer = limit.map { limit in
            Task { [backend] in
                try await Task.sleep(for: limit)
                backend.stop()
            }
        }
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
    private static func answer(_ request: ControlRequest, gate: PolicyGate, tasks: TaskMarkers) -> ControlAnswer {
        switch request.command {
        case .pause:
            let cap = PolicyComparison.seconds(gate.policy.pauseCapSeconds)
            let until = gate.pause(seconds: request.seconds)
            let capped = (request.seconds ?? .infinity) > gate.policy.pauseCapSeconds
            let note = capped ? " (the policy caps a pause at \(cap); it resumes by itself)" : " (it resumes by itself)"
            return ControlAnswer(ok: true, message: "Paused until \(clockTime(until))\(note).", pausedUntil: until)
        case .resume:
            return ControlAnswer(ok: true, message: gate.resume() ? "Recording again." : "Recording was not paused.")
        case .status:
            return ControlAnswer(ok: true, pausedUntil: gate.pausedUntil, task: tasks.open)
        case .taskStart:
            return tasks.start(request.instruction ?? "")
        case .taskEnd:
            return tasks.end(failed: request.failed ?? false)
        }
    }

    /// Tells `understudy status` (through the lock's state file) when storing stops or resumes.
    private static func publish(
        _ storage: VaultWriter.StorageState, paused: Date?, over state: RecorderLock.State,
        lock: RecorderLock
    ) -> RecorderLock.State {
        var next = state
        next.pausedUntil = paused
        switch storage {
        case .storing:
            (next.notStoring, next.notStoringSince) = (nil, nil)
        case .stopped(let refusal, let since):
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
        case .events(let events):
            await writer.append(tally.count(keystrokes.process(gate.filter(events))))
        case .frame(let manifest):
            if manifest.withheld == nil { report.framesStored += 1 } else { report.framesWithheld += 1 }
            await writer.append(frame: manifest)
        case .tiles(let patch):
            await writer.append(patch: patch)
        }
    }
}
