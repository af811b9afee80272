import Capture
import Dispatch
import Foundation
import Logging
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
    /// Where the recorder says what it does: sessions, segments, pauses, storage stopping.
    /// Ids, counts and reasons only; never typed text, titles, URLs or pixels.
    public var logger = Logger(label: "understudy.recorder")
    /// A Prometheus text file for node-exporter's textfile collector, rewritten every
    /// ``metricsInterval`` and at the end; none when nil.
    public var metricsFile: String?
    /// The contributor's own identifiers, replaced by tokens in task instructions too.
    public var identity = SelfIdentity.none
    /// The session's pseudonyms for other people's names (``WindowRules/people``).
    public var people = PersonPseudonyms()
    public var metricsInterval: Duration = .seconds(15)
    /// The recording indicator in the desktop's tray, if one is shown: it says what the recorder
    /// does, and its menu pauses, resumes and opens the review page.
    public var indicator: TrayIcon?

    /// What a session captured and stored, for the recorder's last line and `--stats`.
    public struct Report: Sendable {
        public var eventsByKind: [String: Int] = [:]
        public var framesStored = 0
        public var framesWithheld = 0
        public var segmentsSealed = 0
        public var pipeline = FramePipelineStats()
        public var captureError: Error?
        public var consentWithdrawn = false
        /// The counters at the end, as `status --json` showed them while recording.
        public var counters = RecorderCounters()
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
        let tasks = TaskMarkers(
            redactor: TextRedactor(kinds: policy.policy.redaction, identity: identity, people: people), originNs: backend.originNs)
        let tally = RecorderTally()
        let control = try ControlSocket.Server(vault: vault.directory) { [gate, logger, backend] request in
            var answer = Self.answer(request, gate: gate, tasks: tasks, logger: logger)
            // Worked out when asked, not on every flush: the pipeline's figures grow with the session.
            if request.command == .status {
                answer.counters = tally.counters(pipeline: backend.pipelineStats(), accessibility: backend.accessibilityState())
            }
            return answer
        }
        try lock.publish(published)
        logger.info(
            "recording started",
            metadata: [
                "session": "\(session.id)", "backend": "\(backend.name)", "display": "\(backend.display)",
                "policy": "\(policy.hash.prefix(16))", "unsigned_policy": "\(policyUnsigned)",
            ])
        let timer = limit.map { limit in
            Task { [backend] in
                try await Task.sleep(for: limit)
                backend.stop()
            }
        }
        let display = backend.display
        let choices = indicator.map { indicator in
            Task { [gate, logger, vault] in
                for await action in indicator.actions {
                    Self.perform(action, gate: gate, vault: vault.directory, display: display, logger: logger)
                }
            }
        }
        let watcher = ConsentWatcher(policy: policy)
        let withdrawn = Mutex(false)
        let flusher = Task { [flushInterval, backend, lock, gate, keystrokes, logger, metricsFile, metricsInterval, indicator] in
            var state = published
            var sealed = 0
            var metricsWritten = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: flushInterval)
                let now = MonotonicClock.nowNs() &- backend.originNs
                await writer.append(tally.count(keystrokes.process(gate.tick()) + keystrokes.tick(nowNs: now) + tasks.take()))
                if let exemptions = watcher.changedExemptions() {
                    logger.info("exemptions changed", metadata: ["exemptions": "\(exemptions.count)"])
                    gate.update(exemptions: exemptions)
                }
                if watcher.consentGone() {
                    logger.notice("consent withdrawn: recording stops")
                    warn("consent was withdrawn: recording stops")
                    gate.stop()
                    withdrawn.withLock { $0 = true }
                    backend.stop()
                }
                do {
                    try await writer.flush()
                } catch {
                    logger.error("flush failed, will retry", metadata: ["error": "\(error)"])
                }
                if await writer.takeKeyframeRequest() { backend.requestKeyframe() }
                if await writer.sealed > sealed {
                    sealed = await writer.sealed
                    logger.info("segment sealed", metadata: ["segments_sealed": "\(sealed)"])
                }
                state = await Self.publish(writer.storageState, paused: gate.pausedUntil, over: state, lock: lock, logger: logger)
                indicator?.show(gate.pausedUntil != nil ? .paused : gate.excludingFocus || state.notStoring != nil ? .notStoring : .recording)
                tally.note(bytesWritten: await writer.bytesWritten, framesLostInGap: await writer.framesDropped)
                if let metricsFile, ContinuousClock.now - metricsWritten >= metricsInterval {
                    metricsWritten = ContinuousClock.now
                    let counters = tally.counters(pipeline: backend.pipelineStats(), accessibility: backend.accessibilityState())
                    Self.write(counters, to: metricsFile, logger: logger)
                }
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
        indicator?.stop()
        choices?.cancel()
        control.close()
        timer?.cancel()
        stopper.cancel()
        // Held keystrokes are scrubbed and written now; a crash would have lost them, never stored them.
        await writer.append(tally.count(keystrokes.process(gate.finish()) + keystrokes.finish() + tasks.take()))
        report.eventsByKind = tally.eventsByKind
        try await writer.close(endedAt: WallClock.system.now())
        lock.release()
        report.pipeline = backend.pipelineStats()
        report.segmentsSealed = await writer.sealed
        report.consentWithdrawn = withdrawn.withLock { $0 }
        tally.note(bytesWritten: await writer.bytesWritten, framesLostInGap: await writer.framesDropped)
        report.counters = tally.counters(pipeline: report.pipeline, accessibility: backend.accessibilityState())
        if let metricsFile { Self.write(report.counters, to: metricsFile, logger: logger) }
        logger.info(
            "recording stopped",
            metadata: [
                "session": "\(session.id)", "events": "\(report.events)", "frames_stored": "\(report.framesStored)",
                "frames_withheld": "\(report.framesWithheld)", "segments_sealed": "\(report.segmentsSealed)",
                "bytes_written": "\(report.counters.bytesWritten)", "capture_error": "\(report.captureError.map { "\($0)" } ?? "none")",
            ])
        return report
    }

    /// Rewrites the metrics file; a failure is logged and recording goes on.
    private static func write(_ counters: RecorderCounters, to file: String, logger: Logger) {
        do { try counters.writePrometheusFile(file) } catch { logger.error("cannot write the metrics file", metadata: ["error": "\(error)"]) }
    }

    /// Answers `understudy pause`, `resume`, `status` and `task` on the control socket.
    private static func answer(_ request: ControlRequest, gate: PolicyGate, tasks: TaskMarkers, logger: Logger) -> ControlAnswer {
        switch request.command {
        case .pause:
            let cap = PolicyComparison.seconds(gate.policy.pauseCapSeconds)
            let until = gate.pause(seconds: request.seconds)
            logger.info("paused", metadata: ["until": "\(RFC3339.string(from: until))"])
            let capped = (request.seconds ?? .infinity) > gate.policy.pauseCapSeconds
            let note = capped ? " (the policy caps a pause at \(cap); it resumes by itself)" : " (it resumes by itself)"
            return ControlAnswer(ok: true, message: "Paused until \(clockTime(until))\(note).", pausedUntil: until)
        case .resume:
            let resumed = gate.resume()
            if resumed { logger.info("resumed") }
            return ControlAnswer(ok: true, message: resumed ? "Recording again." : "Recording was not paused.")
        case .status:
            return ControlAnswer(ok: true, pausedUntil: gate.pausedUntil, task: tasks.open)
        case .taskStart:
            logger.debug("task started")  // its instruction is content: it goes to the vault only
            return tasks.start(request.instruction ?? "")
        case .taskEnd:
            logger.debug("task ended", metadata: ["failed": "\(request.failed ?? false)"])
            return tasks.end(failed: request.failed ?? false)
        }
    }

    /// Tells `understudy status` (through the lock's state file) when storing stops or resumes.
    private static func publish(
        _ storage: VaultWriter.StorageState, paused: Date?, over state: RecorderLock.State,
        lock: RecorderLock, logger: Logger
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
            if let reason = next.notStoring {
                logger.warning("not storing", metadata: ["reason": "\(reason)"])
                warn("not storing: \(reason)")
            } else {
                logger.notice("storing again")
                warn("storing again")
            }
        }
        do { try lock.publish(next) } catch { logger.error("cannot publish the recorder's state", metadata: ["error": "\(error)"]) }
        return next
    }

    private func store(_ record: CaptureRecord, in writer: VaultWriter, tally: RecorderTally, report: inout Report) async {
        switch record {
        case .events(let events):
            await writer.append(tally.count(keystrokes.process(gate.filter(tally.countUnreadablePages(events)))))
        case .frame(let manifest):
            if manifest.withheld == nil { report.framesStored += 1 } else { report.framesWithheld += 1 }
            tally.count(frame: manifest)
            await writer.append(frame: manifest)
        case .tiles(let patch):
            await writer.append(patch: patch)
        case .hotkey:
            toggle()
        }
    }

    /// A choice in the indicator's menu.
    private static func perform(_ action: IndicatorAction, gate: PolicyGate, vault: URL, display: String, logger: Logger) {
        switch action {
        case .pause(let minutes):
            let until = gate.pause(seconds: Double(minutes) * 60)
            logger.info("paused", metadata: ["until": "\(RFC3339.string(from: until))", "by": "indicator"])
        case .resume:
            if gate.resume() { logger.info("resumed", metadata: ["by": "indicator"]) }
        case .openReviewPage:
            ReviewPageLauncher.open(vault: vault, display: display, logger: logger)
        }
    }

    /// The pause hotkey: a pause as long as the policy allows, or, when paused, recording again.
    private func toggle() {
        guard gate.pausedUntil == nil else {
            gate.resume()
            logger.info("resumed", metadata: ["by": "hotkey"])
            warn("recording again (the pause hotkey)")
            return
        }
        let until = gate.pause(seconds: nil)
        logger.info("paused", metadata: ["until": "\(RFC3339.string(from: until))", "by": "hotkey"])
        warn("paused until \(clockTime(until)) (the pause hotkey; press it again to resume)")
    }
}
