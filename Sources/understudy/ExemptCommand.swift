import ArgumentParser
import Privacy
import UnderstudyModel

/// `--app NAME | --site HOST | --title PATTERN | --all`, exactly one.
struct ExemptionTarget: ParsableArguments {
    @Option(help: ArgumentHelp("An app, by its WM_CLASS (as `understudy log` shows in focus events).", valueName: "name")) var app: String?
    @Option(help: ArgumentHelp("A site and its subdomains, e.g. example.com.", valueName: "host")) var site: String?
    @Option(help: ArgumentHelp("Window titles containing this, or matching it with * and ?.", valueName: "pattern")) var title: String?
    @Flag(help: "All capture: time away from capture beyond what a pause allows (a request for a period only).") var all = false

    func validate() throws {
        guard [app, site, title].compactMap({ $0 }).count + (all ? 1 : 0) == 1 else {
            throw ValidationError("give exactly one of --app, --site, --title, --all")
        }
    }

    var kindAndValue: (Exemption.Kind, String) {
        if let app { return (.app, app) }
        if let site { return (.site, site) }
        if let title { return (.title, title) }
        return (.all, "*")
    }
}

struct ExemptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exempt",
        abstract: "Keep apps, sites or windows out of capture, for you, at once.",
        discussion: "Exemptions only narrow capture, so they need no one's approval; a running recorder applies them within a second.",
        subcommands: [Add.self, List.self, Remove.self, Request.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an exemption.")
        @OptionGroup var target: ExemptionTarget

        func validate() throws {
            guard !target.all else {
                throw ValidationError(
                    "time away from all capture beyond a pause needs your organisation's approval: `understudy exempt request --all --until T --reason TEXT`"
                )
            }
        }

        func run() throws {
            let (kind, value) = target.kindAndValue
            let exemption = try ExemptionStore().add(kind, value)
            print("Exempted \(kind.rawValue) \(exemption.value) (id \(exemption.id)): it is kept out of capture from now on.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your exemptions and pending requests.")

        func run() throws {
            let contents = try ExemptionStore().load()
            if contents.exemptions.isEmpty { print("No exemptions.") }
            for e in contents.exemptions { print("\(e.id)  \(e.summary)  added \(RFC3339.string(from: e.addedAt))") }
            for r in contents.requests {
                let what = Exemption(kind: r.kind, value: r.value, from: r.from, until: r.until).summary
                print("request \(r.id)  \(what)  \(r.sentAt == nil ? "not sent yet" : "sent") — \(r.reason)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an exemption by its id.")
        @Argument(help: ArgumentHelp("The id from `exempt list`.", valueName: "id")) var id: String

        func run() throws {
            let removed = try ExemptionStore().remove(id: id)
            print("Removed the exemption for \(removed.kind.rawValue) \(removed.value).")
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask your organisation for an exemption that needs an officer's approval; kept here until it can be sent."
        )
        @OptionGroup var target: ExemptionTarget
        @Option(help: ArgumentHelp("Why, for the officer.", valueName: "text")) var reason: String
        @Option(help: ArgumentHelp("For a period: when it starts (RFC 3339; now by default).", valueName: "time")) var from: String?
        @Option(
            help: ArgumentHelp(
                "For a period: when it ends (RFC 3339, or a duration after its start such as 3d). Required with --all.", valueName: "time"))
        var until: String?

        func validate() throws {
            guard !target.all || until != nil else { throw ValidationError("--all is a period away from capture: give --until") }
            do { _ = try ExemptionStore.period(from: from, until: until) } catch { throw ValidationError(error.description) }
        }

        func run() throws {
            let (kind, value) = target.kindAndValue
            let request = try ExemptionStore().request(kind, value, reason: reason, period: try ExemptionStore.period(from: from, until: until))
            print("Recorded request \(request.id); it is sent when this device syncs with your organisation's collector.")
        }
    }
}
