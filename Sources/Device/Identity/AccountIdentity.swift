import Foundation
import Privacy

/// The contributor's identifiers as this machine knows them: the account's login, real name
/// (from the account database) and home folder, the host's names, and the name and e-mail
/// address git is configured with. Read when recording starts and kept in memory only.
public enum AccountIdentity {
    public static func gather(environment: [String: String] = ProcessInfo.processInfo.environment) -> SelfIdentity {
        var identity = SelfIdentity()
        if let account = getpwuid(getuid()) {
            identity.logins.append(String(cString: account.pointee.pw_name))
            // The GECOS field's first part is the real name: "Alice Martin,Room 4,…".
            let gecos = String(cString: account.pointee.pw_gecos).split(separator: ",", omittingEmptySubsequences: false).first ?? ""
            if !gecos.isEmpty { identity.names.append(String(gecos)) }
            identity.homes.append(String(cString: account.pointee.pw_dir))
        }
        if let user = environment["USER"] ?? environment["LOGNAME"] { identity.logins.append(user) }
        if let home = environment["HOME"] { identity.homes.append(home) }
        identity.hosts += hostNames()
        let git = gitIdentity(environment: environment)
        identity.names += git.names
        identity.emails += git.emails
        identity.logins = unique(identity.logins)
        identity.names = unique(identity.names)
        identity.homes = unique(identity.homes)
        identity.hosts = unique(identity.hosts)
        identity.emails = unique(identity.emails)
        return identity
    }

    private static func hostNames() -> [String] {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return [] }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? [] : [name]
    }

    /// `user.name` and `user.email` of git's global configuration files, read as git reads them
    /// (the XDG file, then `~/.gitconfig`); what it includes from elsewhere is not followed.
    static func gitIdentity(environment: [String: String]) -> (names: [String], emails: [String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let xdg = environment["XDG_CONFIG_HOME"].map { $0 + "/git/config" } ?? home + "/.config/git/config"
        var names: [String] = []
        var emails: [String] = []
        for file in [xdg, home + "/.gitconfig"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            var section = ""
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") {
                    section = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces).lowercased()
                    continue
                }
                guard section == "user", let equals = line.firstIndex(of: "=") else { continue }
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                guard !value.isEmpty else { continue }
                if key == "name" { names.append(value) } else if key == "email" { emails.append(value) }
            }
        }
        return (names, emails)
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
