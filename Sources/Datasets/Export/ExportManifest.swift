import Foundation
import UnderstudyModel

/// `manifest.json`: what went into an export and under which rules: its episodes, their
/// sessions, the policies those ran under and the consents to them, the filters and settings
/// used, and the counts. An erasure request finds every export holding a person's sessions here.
struct ExportManifest {
    let options: ExportOptions
    let settings: EpisodeBuilder.Settings
    let lineage: Lineage
    let episodes: [Episode]
    let summary: ExportSummary

    /// The sessions of its episodes, each once, in the episodes' order.
    var sessions: [Session] {
        var sessions: [Session] = []
        for episode in episodes where !sessions.contains(where: { $0.id == episode.session.id }) { sessions.append(episode.session) }
        return sessions
    }

    /// The manifest; without `instructions`, each episode's is null.
    func json(instructions: Bool) -> JSONValue {
        let sessions = sessions
        let policies = Set(sessions.compactMap(\.policyHash))
        return .object([
            ("understudy_export", .int(1)), ("format", .string(options.format.rawValue)),
            ("created", .string(RFC3339.string(from: WallClock.system.now()))), ("generator", .string(lineage.generator)),
            ("vault", .string(lineage.vault)),
            (
                "filters",
                .object([
                    ("min_actions", .int(Int64(options.filter.minActions))),
                    ("max_redacted_share", .double(options.filter.maxRedactedShare)),
                    ("max_interrupted_share", .double(options.filter.maxInterruptedShare)),
                    ("episodes", options.episodes.map { .array($0.sorted().map { .string($0) }) } ?? .null),
                    ("steps_judged_bad", .int(Int64(options.filter.rejectedSteps.values.reduce(0) { $0 + $1.count }))),
                ])
            ),
            ("settings", settingsJSON),
            (
                "counts",
                .object([
                    ("episodes_found", .int(Int64(summary.episodesFound))), ("episodes", .int(Int64(summary.episodes))),
                    ("dropped", .object(summary.dropped.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                    ("steps", .int(Int64(summary.steps))), ("steps_without_observation", .int(Int64(summary.stepsWithoutObservation))),
                    ("frames", .int(Int64(summary.frames))),
                ])
            ),
            (
                "episodes",
                .array(
                    episodes.map { e in
                        .object([
                            ("id", .string(e.id)), ("session", .string(e.session.id)), ("instruction", instructions ? .text(e.instruction) : .null),
                            ("outcome", .string(e.outcome.rawValue)), ("steps", .int(Int64(e.steps.count))),
                        ])
                    })
            ),
            (
                "sessions",
                .array(
                    sessions.map { s in
                        .object([
                            ("id", .string(s.id)), ("started", .string(RFC3339.string(from: s.startedAt))),
                            ("ended", .time(s.endedAt)), ("policy_hash", .text(s.policyHash)), ("policy_unsigned", .bool(s.policyUnsigned)),
                            ("consented_at", .time(s.consentedAt)), ("contributor", .text(lineage.contributors[s.id])),
                        ])
                    })
            ),
            ("policies", .array(policies.sorted().map { .string($0) })),
            (
                "consents",
                .array(
                    lineage.consents.filter { policies.contains($0.policyHash) }.map { c in
                        .object([
                            ("policy_hash", .string(c.policyHash)), ("name", .string(c.name)), ("version", .int(Int64(c.version))),
                            ("accepted_at", .string(RFC3339.string(from: c.acceptedAt))),
                        ])
                    })
            ),
            ("files", .array(summary.files.map { .string($0) })),
        ])
    }

    private var settingsJSON: JSONValue {
        let c = settings.compiler
        func seconds(_ d: Duration) -> JSONValue { .double(Double(d.ns) / 1e9) }
        return .object([
            ("multi_click_interval_s", seconds(c.multiClickInterval)), ("multi_click_distance_px", .int(Int64(c.multiClickDistance))),
            ("drag_threshold_px", .int(Int64(c.dragThreshold))), ("scroll_coalesce_s", seconds(c.scrollCoalesce)),
            ("scroll_distance_px", .int(Int64(c.scrollDistance))), ("typing_break_s", seconds(c.typingBreak)),
            ("idle_wait_s", seconds(c.idleWait)), ("episode_idle_gap_s", seconds(settings.segmentation.idleGap)),
            ("episode_switch_pause_s", seconds(settings.segmentation.switchPause)),
            ("max_observation_age_s", seconds(settings.maxObservationAge)), ("png_level", .int(Int64(options.pngLevel))),
            ("shard_size", .int(options.shardSize)),
        ])
    }
}
