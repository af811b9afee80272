import Crypto
import Foundation
import UnderstudyModel

/// Who may see the review page: whoever holds the one-time token printed when it started
/// (as a notebook server does), exchanged once for a session cookie. Each session has its own
/// CSRF token, which every form that changes something carries.
actor ReviewSessions {
    /// The token in the printed address; nil once exchanged.
    private var token: String?
    /// Session cookie value to its CSRF token.
    private var sessions: [String: String] = [:]

    init() { token = Self.random() }

    /// The token to print; it works once.
    var startToken: String? { token }

    /// A new session for the token, once; nil for any other token or a second try.
    func exchange(_ offered: String) -> String? {
        guard let token, HTMLForm.sameSecret(offered, token) else { return nil }
        self.token = nil
        let session = Self.random()
        sessions[session] = Self.random()
        return session
    }

    /// The CSRF token of a session, nil when it is no session.
    func csrf(for session: String?) -> String? {
        guard let session else { return nil }
        return sessions.first { HTMLForm.sameSecret($0.key, session) }?.value
    }

    /// 32 random bytes, base64url: valid in a cookie and a URL as they are.
    static func random() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
