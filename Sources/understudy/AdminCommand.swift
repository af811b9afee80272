import ArgumentParser
import CollectorAPI
import Device
import Sync
import UnderstudyModel

/// How an admin command reaches the collector and signs in.
struct StaffOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The collector.", valueName: "url")) var server = "http://127.0.0.1:7341"
    @Option(help: ArgumentHelp("The member of staff signing in.", valueName: "name")) var user = "admin"
    @Option(
        help: ArgumentHelp(
            "The file holding the user's key (the first admin's: where serve --admin-key-file wrote it).",
            discussion: "Defaults to $UNDERSTUDY_STAFF_KEY_FILE.",
            valueName: "file"))
    var keyFile: String?

    /// Signs in and runs `body` with a client and the session token.
    func session<T>(_ body: (CollectorClient, CollectorClient.Identity) async throws -> T) async throws -> T { try await signIn.session(body) }

    var signIn: StaffSignIn { StaffSignIn(server: server, user: user, keyFile: keyFile) }
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract:
            "The organisation's side of the collector: people, enrolment codes, devices, policies, exemptions, erasure, the audit log, quality review and erasure notices.",
        subcommands: [
            AddUser.self, Users.self, ApproveUser.self, RemoveUser.self, NewKey.self, EnrollCode.self, EnrolmentCodes.self, ApproveEnrolment.self,
            Devices.self, Revoke.self,
            PublishPolicy.self, Exemptions.self, Erase.self, Audit.self, ReviewCommand.self, ErasuresCommand.self,
        ]
    )

    struct AddUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-user", abstract: "Create a member of staff and print their key (shown once).")
        @Argument(help: "Their name.") var name: String
        @Option(help: "admin, privacy_officer, reviewer or scientist.") var role: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let created = try await staff.session { client, me in try await client.createUser(name: name, role: role, as: me) }
            print(created.key)
            if created.awaitingApproval { warn("\(name) signs in once a privacy officer approves: understudy admin approve-user \(name)") }
        }
    }

    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members of staff, and who awaits approval.")
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            for user in try await staff.session({ client, me in try await client.users(as: me) }) { print(user.text) }
        }
    }

    struct ApproveUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-user", abstract: "Let a new reviewer, scientist or privacy officer sign in (a privacy officer's act).")
        @Argument(help: "Their name.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let approved = try await staff.session { client, me in try await client.approveUser(name, as: me) }
            print("Approved \(approved.role) \(approved.name): they can sign in.")
        }
    }

    struct RemoveUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-user", abstract: "Remove a member of staff; their sessions end.")
        @Argument(help: "Their name.") var name: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            _ = try await staff.session { client, me in try await client.removeUser(name, as: me) }
            print("Removed \(name).")
        }
    }

    struct NewKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new-key", abstract: "A new key for a member of staff (yourself unless an admin names another); prints it once.")
        @Argument(help: "Whose key (you by default).") var name: String?
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let made = try await staff.session { client, me in try await client.newKey(for: name ?? staff.user, as: me) }
            print(made.key)
            warn("the old key of \(made.name) and every session signed in with it no longer work")
        }
    }

    struct EnrolmentCodes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enrolment-codes", abstract: "List the enrolment codes not used yet.")
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            for code in try await staff.session({ client, me in try await client.enrolmentCodes(as: me) }) { print(code.text) }
        }
    }

    struct ApproveEnrolment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-enrolment",
            abstract: "Approve a code for a contributor who has a device already (a privacy officer's act; it reads nothing from before).")
        @Argument(help: "The code's id, as enroll-code and enrolment-codes show it.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let approved = try await staff.session { client, me in try await client.approveEnrolmentCode(id, as: me) }
            print("Approved code \(approved.id) for \(approved.contributor): the device it enrols reads only what arrives after it.")
        }
    }

    struct EnrollCode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll-code", abstract: "A one-time enrolment code for a contributor's device (expires in 24 h by default).")
        @Option(help: ArgumentHelp("The contributor's pseudonymous id.", valueName: "id")) var contributor: String
        @Option(
            help: ArgumentHelp("Their name as colleagues see it: their device redacts it (the collector forgets it at enrolment).", valueName: "name")
        )
        var displayName: String?
        @Option(help: ArgumentHelp("Their work address: their device redacts it too.", valueName: "address")) var email: String?
        @Flag(help: "Print the answer as JSON.") var json = false
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let person = displayName == nil && email == nil ? nil : ContributorIdentity(displayName: displayName, email: email)
            let code = try await staff.session { client, me in
                try await client.createEnrolmentCode(contributor: contributor, naming: person, as: me)
            }
            if json { try printJSON(code) } else { print(code.text) }
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "devices", abstract: "List enrolled devices.")
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            for device in try await staff.session({ client, me in try await client.devices(as: me) }) { print(device.text) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a device: its requests, uploads included, are refused from now on.")
        @Argument(help: "The device id.") var device: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            _ = try await staff.session { client, me in try await client.revokeDevice(device, as: me) }
            print("Revoked \(device).")
        }
    }

    struct Exemptions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contributors' exemption requests, and the privacy officer's decisions on them.",
            subcommands: [List.self, Approve.self, Deny.self], defaultSubcommand: List.self
        )

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The requests (pending ones unless --all).")
            @Flag(help: "Decided requests too.") var all = false
            @OptionGroup var staff: StaffOptions

            func run() async throws {
                for request in try await staff.session({ client, me in try await client.exemptionRequests(all: all, as: me) }) { print(request.text) }
            }
        }

        /// What `approve` and `deny` share: the request, a note, and who decides.
        struct Decision: ParsableArguments {
            @Argument(help: "The contributor.") var contributor: String
            @Argument(help: "The request id.") var id: String
            @Option(help: "A note for the contributor.") var note: String?
            @OptionGroup var staff: StaffOptions

            func decide(approve: Bool) async throws {
                _ = try await staff.session { client, me in
                    try await client.decideExemption(contributor: contributor, id: id, approve: approve, note: note, as: me)
                }
                print("\(approve ? "Approved" : "Denied") request \(id) of \(contributor).")
            }
        }

        struct Approve: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Approve a request: the device applies it on its next sync.")
            @OptionGroup var decision: Decision
            func run() async throws { try await decision.decide(approve: true) }
        }

        struct Deny: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Deny a request.")
            @OptionGroup var decision: Decision
            func run() async throws { try await decision.decide(approve: false) }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Erase a contributor (a privacy officer's act): data key destroyed first, then their segments; a tombstone and an audit record remain."
        )
        @Argument(help: "The contributor's id.") var contributor: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let erased = try await staff.session { client, me in try await client.eraseContributor(contributor, as: me) }
            print("Erased \(contributor): \(erased.segments) segment(s) deleted, data key destroyed.")
        }
    }

    struct PublishPolicy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish-policy", abstract: "Publish a signed policy (FILE and FILE.sig); a privacy officer's act.")
        @Argument(help: "The policy file; its signature is FILE.sig.") var file: String
        @OptionGroup var staff: StaffOptions

        func run() async throws {
            let published = try await staff.session { client, me in try await client.publishPolicy(file: file, as: me) }
            print("Published \(published.name) v\(published.version) (\(published.hash.prefix(16))).")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit", abstract: "Read the audit log, or verify its hash chain.",
            subcommands: [Verify.self, List.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the audit log, one JSON record per line.")
            @OptionGroup var staff: StaffOptions

            func run() async throws {
                for record in try await staff.session({ client, me in try await client.auditLog(as: me) }) { try printJSON(record) }
            }
        }

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check that no audit record was removed or edited: exits 1 naming the first break.")
            @OptionGroup var staff: StaffOptions

            func run() async throws {
                let records = try await staff.session { client, me in try await client.auditLog(as: me) }
                if let broken = AuditChain.firstBreak(in: records) {
                    print("BROKEN: the audit log does not hold together at record \(broken.seq) (\(broken.action)): a record was removed or edited.")
                    throw ExitCode.failure
                }
                print("OK: \(records.count) audit records, hash chain intact (last \(records.last?.hash.prefix(16) ?? "none")).")
            }
        }
    }
}
