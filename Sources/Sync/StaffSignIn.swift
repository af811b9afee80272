import Foundation

/// How a member of staff reaches the collector from the command line: its URL, their name,
/// and the file holding their key.
public struct StaffSignIn: Sendable {
    public var server: String
    public var user: String
    /// Where the key is; `$UNDERSTUDY_STAFF_KEY_FILE` when nil.
    public var keyFile: String?

    public init(server: String, user: String, keyFile: String?) {
        self.server = server
        self.user = user
        self.keyFile = keyFile
    }

    /// Why signing in could not start, in words the person can act on.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Signs in and runs `body` with a client and the session token.
    public func session<T>(_ body: (CollectorClient, CollectorClient.Identity) async throws -> T) async throws -> T {
        guard let url = URL(string: server), url.scheme != nil else {
            throw Problem(description: "--server must be a URL such as http://127.0.0.1:7341")
        }
        guard let path = keyFile ?? ProcessInfo.processInfo.environment["UNDERSTUDY_STAFF_KEY_FILE"] else {
            throw Problem(description: "give --key-file (or set UNDERSTUDY_STAFF_KEY_FILE)")
        }
        guard let key = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw Problem(description: "cannot read the key file \(path)")
        }
        return try await CollectorClient.with(url) { client in
            let identity = try await client.login(user: user, key: key)
            // A command's session ends with it, refused or not (best effort: it expires anyway;
            // a command that replaced the key ended it already).
            do {
                let result = try await body(client, identity)
                _ = try? await client.logout(as: identity)
                return result
            } catch {
                _ = try? await client.logout(as: identity)
                throw error
            }
        }
    }
}
