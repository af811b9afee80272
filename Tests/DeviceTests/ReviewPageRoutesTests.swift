import Testing

@testable import Device

@Suite("The review page's routes")
struct ReviewPageRoutesTests {
    @Test(
        "After the token exchange the page goes on only to a path of its own, never to another origin",
        arguments: [
            ("/segment/3f1c-9a", "/segment/3f1c-9a"), ("/segment/a#step-4", "/segment/a#step-4"), ("/", "/"),
            ("//evil.example/", nil), ("https://evil.example/", nil), ("/\\evil.example", nil), ("/a b", nil), ("segment/a", nil),
            ("/%2F%2Fevil.example", nil),
        ] as [(String, String?)])
    func nextPath(asked: String, kept: String?) {
        #expect(ReviewPageRoutes.localPath(asked) == kept)
    }
}
