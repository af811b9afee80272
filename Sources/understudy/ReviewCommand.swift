import ArgumentParser
import CollectorAPI
import Device
import Foundation
import Sync
import UnderstudyModel

/// A reviewer's side of the collector: look through scrubbed steps under pseudonyms and judge them.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Quality review of the collector's scrubbed steps, under pseudonyms (reviewers).",
        discussion: """
            Steps are named by their t_ns (when their first input happened, in ns since the session \
            started), as `admin review open` and exports print it. Exports leave out every episode holding a \
            step judged bad. What you open and judge is in the audit log, under the contributor.
            """,
        subcommands: [List.self, Open.self, Judge.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The held segments, their contributors by pseudonym, and how many steps were judged.")
        @Flag(help: "One JSON object per segment.") var json = false
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            for s in try await staff.session({ client, me in try await client.reviewSegments(as: me) }) {
                if json { try printJSON(s) } else { print(s.text) }
            }
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a segment's steps, and write pages showing each on its screen (--out).")
        @Argument(help: "The segment.") var segment: String
        @Option(help: ArgumentHelp("A new or empty folder for the pages (index.html).", valueName: "dir")) var out: String?
        @Flag(help: "One JSON object per step.") var json = false
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let review = try await SegmentReview.open(segment, as: staff.signIn)
            for step in try review.steps() { print(json ? try ReportCoding.line(step) : step.text) }
            guard let out else { return }
            try review.writePages(to: URL(fileURLWithPath: out), server: staff.server, generator: "understudy \(Understudy.configuration.version)")
            if !json { print("Wrote \(URL(fileURLWithPath: out).standardizedFileURL.path)/index.html") }
        }
    }

    struct Judge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge steps of a segment good or bad; a later judgement of a step replaces the earlier.")
        @Argument(help: "The segment.") var segment: String
        @Option(help: ArgumentHelp("A step that is fine (its t_ns; repeatable).", valueName: "t_ns")) var good: [Int64] = []
        @Option(help: ArgumentHelp("A step that is wrong (its t_ns; repeatable).", valueName: "t_ns")) var bad: [Int64] = []
        @Option(help: ArgumentHelp("Why the bad steps are bad, e.g. unredacted, wrong_action.", valueName: "text")) var reason: String?
        @OptionGroup var staff: StaffOptions

        func validate() throws {
            guard !good.isEmpty || !bad.isEmpty else { throw ValidationError("give at least one --good or --bad step") }
            guard Set(good).isDisjoint(with: bad) else { throw ValidationError("a step cannot be judged both good and bad") }
        }

        func run() async throws {
            let verdicts =
                good.map { VerdictsRequest.Verdict(step: $0, verdict: "good", reason: nil) }
                + bad.map { VerdictsRequest.Verdict(step: $0, verdict: "bad", reason: reason) }
            let recorded = try await staff.session { client, me in try await client.judge(segment: segment, verdicts: verdicts, as: me) }
            print("Recorded \(recorded.recorded) verdict(s) on segment \(segment).")
        }
    }
}
