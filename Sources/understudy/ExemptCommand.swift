import ArgumentParser
import Foundation
import Privacy
import UnderstudyModel

/// `--app NAME | --site HOST | --title PATTERN`, exactly one.
struct ExemptionTarget: ParsableArguments {
    @Option(help: ArgumentHelp("An app, by its WM_CLASS (as `understudy log` shows in focus events).", valueName: "name"))
    var app: String?

    @Option(help: ArgumentHelp("A site and its subdomains, e.g. example.com.", valueName: "host"))
    var site: String?

    @Option(help: ArgumentHelp("Window titles containing this, or matching it with * and ?.", valueName: "pattern"))
    var title: String?

    func validate() throws {
        guard [app, site, title].compactMap({ $0 }).count == 1 else { throw ValidationError("give exactly one of --app, --site, --title") }
    }

    var kindAndValue: (Exemption.Kind, String) {
        if let app { return (.app, app) }
        if let site { return (.site, site) }
        return (.title, title!)
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

        func run() throws {
            let store = ExemptionStore()
            var contents = try store.load()
            let (kind, value) = target.kindAndValue
            let exemption = Exemption(kind: kind, value: value)
            contents.exemptions.append(exemption)
            try store.save(contents)
            print("Exempted \(kind.rawValue) \(exemption.value) (id \(exemption.id)): it is kept out of capture from now on.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your exemptions and pending requests.")

        func run() throws {
            let contents = try ExemptionStore().load()
            if contents.exemptions.isEmpty { print("No exemptions.") }
            for e in contents.exemptions { print("\(e.id)  \(e.kind.rawValue) \(e.value)  since \(RFC3339.string(from: e.addedAt))") }
            for r in contents.requests {
                print("request \(r.id)  \(r.kind.rawValue) \(r.value)  \(r.sentAt == nil ? "not sent yet" : "sent") — \(r.reason)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an exemption by its id.")
        @Argument(help: ArgumentHelp("The id from `exempt list`.", valueName: "id"))
        var id: String

        func run() throws {
            let store = ExemptionStore()
            var contents = try store.load()
            guard let index = contents.exemptions.firstIndex(where: { $0.id == id }) else {
                throw CommandFailure("no exemption with id \(id) (see `understudy exempt list`)")
            }
            let removed = contents.exemptions.remove(at: index)
            try store.save(contents)
            print("Removed the exemption for \(removed.kind.rawValue) \(removed.value).")
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask your organisation for an exemption that needs an officer's approval; kept here until it can be sent."
        )
        @OptionGroup var target: ExemptionTarget

        @Option(help: ArgumentHelp("Why, for the officer.", valueName: "text"))
        var reason: String

        func run() throws {
            let store = ExemptionStore()
            var contents = try store.load()
            let (kind, value) = target.kindAndValue
            let request = ExemptionRequest(id: String(UUID().uuidString.prefix(8)).lowercased(), kind: kind, value: value, reason: reason,
                                           requestedAt: Date(), sentAt: nil)
            contents.requests.append(request)
            try store.save(contents)
            print("Recorded request \(request.id); it is sent when this device syncs with your organisation's collector.")
        }
    }
}
