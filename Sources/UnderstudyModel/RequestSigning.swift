import Foundation

/// How a device signs its requests to the collector. Both sides build the same message; the
/// device signs it with its Ed25519 key, the server checks it with the public key it stored at
/// enrolment. No shared secret ever leaves the device.
///
/// Headers: `Authorization: Understudy-Device <device id>`, `X-Understudy-Date` (Unix
/// seconds), `X-Understudy-Nonce` (random, never reused), `X-Understudy-Content-SHA256` (hex
/// SHA-256 of the body; of nothing for a request without one) and `X-Understudy-Signature`
/// (base64 of the signature over ``message(method:target:date:nonce:contentSHA256:)``). The
/// server refuses a date more than ``maxSkew`` away and a nonce it has seen.
public enum RequestSigning {
    public static let scheme = "Understudy-Device"
    public static let dateHeader = "X-Understudy-Date"
    public static let nonceHeader = "X-Understudy-Nonce"
    public static let contentHeader = "X-Understudy-Content-SHA256"
    public static let signatureHeader = "X-Understudy-Signature"
    /// How far a request's date may be from the server's clock.
    public static let maxSkew: TimeInterval = 300
    /// SHA-256 of no bytes, hex.
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The bytes signed: the method, the path with its query, the date, the nonce and the body's hash.
    public static func message(method: String, target: String, date: Int64, nonce: String, contentSHA256: String) -> Data {
        Data("understudy-request-v1\n\(method.uppercased())\n\(target)\n\(date)\n\(nonce)\n\(contentSHA256.lowercased())".utf8)
    }
}
