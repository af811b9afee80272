import Foundation
import UnderstudyModel

/// The JSON forms of episodes and steps that every export writes (DESIGN.md, "Action").
extension Episode {
    /// `episode.json`: what the episode is and where it came from. `frameFile` names a frame's file.
    func json(frameFile: (String) -> String) -> JSONValue {
        let withoutObservation = steps.filter { $0.observationFrame == nil }.count
        var fields: [(String, JSONValue)] = [
            ("id", .string(id)), ("instruction", .text(instruction)), ("outcome", .string(outcome.rawValue)),
            ("session", .string(session.id)), ("started", .string(RFC3339.string(from: startedAt))),
        ]
        fields += [
            ("duration_s", .double((Double(endNs - startNs) / 1e7).rounded() / 100)),
            ("apps", .array(apps.map { .string($0) })), ("screen", screenJSON),
            ("policy_hash", .text(session.policyHash)), ("policy_unsigned", .bool(session.policyUnsigned)),
            ("consented_at", .time(session.consentedAt)),
        ]
        fields += [
            ("step_count", .int(Int64(steps.count))), ("action_count", .int(Int64(actionCount))),
            ("redacted_steps", .int(Int64(redactedSteps))), ("steps_without_observation", .int(Int64(withoutObservation))),
            ("interrupted_share", .double((interruptedShare * 1000).rounded() / 1000)),
            ("final_observation", .text(finalFrame.map(frameFile))),
        ]
        return .object(fields)
    }

    var screenJSON: JSONValue { .array([.int(Int64(screen.width)), .int(Int64(screen.height))]) }

    func wall(_ ns: UInt64) -> String { RFC3339.string(from: session.startedAt.addingTimeInterval(Double(ns) / 1e9)) }
}

extension EpisodeStep {
    /// The observation's frame hash, when the step has one.
    public var observationFrame: String? { if case .success(let seen) = observation { seen.frame } else { nil } }

    /// The step as the contract's object: `observation` is the frame's file, or null with
    /// `observation_missing` saying why.
    func json(in episode: Episode, observationFile: String?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("episode", .string(episode.id)), ("step", .int(Int64(index))), ("t_ns", .int(Int64(clamping: startNs))),
            ("wall", .string(episode.wall(startNs))),
            ("observation", .text(observationFile)),
        ]
        switch observation {
        case .success(let seen): fields.append(("observation_age_ms", .int(Int64(seen.ageNs / 1_000_000))))
        case .failure(let missing): fields += [("observation_age_ms", .null), ("observation_missing", .string(missing.description))]
        }
        fields += [
            ("screen", episode.screenJSON), ("action", action.json(screen: episode.screen)), ("pyautogui", .string(action.pyautogui)),
            ("app", .text(window?.app)), ("title", .text(window?.title)),
            ("redactions", .array(redactions.map(\.json))), ("path", .array(path.map { .array($0.map { .int($0) }) })),
            ("target", target?.json ?? .null),
        ]
        return .object(fields)
    }

    /// The step for a WebDataset sample. Hugging Face `datasets` fixes one Arrow schema from the
    /// first five samples, so every sample has the same fields with the same types, never null:
    /// the per-verb `action` object, `redactions`, `path` and `target` are JSON text (`target`
    /// empty when no element is known).
    func sampleJSON(in episode: Episode, key: String, frame: String, ageNs: UInt64) -> JSONValue {
        .object([
            ("episode", .string(episode.id)), ("step", .int(Int64(index))), ("t_ns", .int(Int64(clamping: startNs))),
            ("wall", .string(episode.wall(startNs))), ("observation", .string("\(key).png")), ("frame", .string(frame)),
            ("observation_age_ms", .int(Int64(ageNs / 1_000_000))), ("screen", episode.screenJSON),
            ("instruction", .string(episode.instruction ?? "")), ("app", .string(window?.app ?? "")), ("title", .string(window?.title ?? "")),
            ("action_type", .string(action.verb)), ("action", .string(action.json(screen: episode.screen).serialized)),
            ("pyautogui", .string(action.pyautogui)),
            ("redactions", .string(JSONValue.array(redactions.map(\.json)).serialized)),
            ("path", .string(JSONValue.array(path.map { .array($0.map { .int($0) }) }).serialized)),
            ("target", .string(target?.json.serialized ?? "")),
        ])
    }

    /// A sample's `a11y.json`: in every sample, so that Hugging Face `datasets`, which fixes its
    /// schema from the first samples, sees the same fields and types whether the step has a
    /// snapshot or not; the nodes are JSON text for the same reason (an empty list has no type).
    var accessibilitySampleJSON: JSONValue {
        .object([
            ("available", .bool(accessibility != nil)), ("truncated", .bool(accessibility?.truncated ?? false)),
            ("nodes", .string((accessibility?.nodesJSON ?? .array([])).serialized)),
        ])
    }
}

extension JSONValue {
    /// A string, or null.
    static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    /// An RFC 3339 time, or null.
    static func time(_ value: Date?) -> JSONValue { value.map { .string(RFC3339.string(from: $0)) } ?? .null }
}
