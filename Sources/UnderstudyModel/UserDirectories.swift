import Foundation

/// Where Understudy keeps a user's files, after the XDG base directories.
public enum UserDirectories {
    /// `$XDG_CONFIG_HOME/understudy`, else `~/.config/understudy`: keys, consent, exemptions.
    public static var config: URL { base("XDG_CONFIG_HOME", else: ".config") }

    /// `$XDG_DATA_HOME/understudy`, else `~/.local/share/understudy`: the vault.
    public static var data: URL { base("XDG_DATA_HOME", else: ".local/share") }

    private static func base(_ variable: String, else fallback: String) -> URL {
        let root =
            ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(fallback)
        return root.appendingPathComponent("understudy", isDirectory: true)
    }
}
