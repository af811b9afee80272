import Capture
import Testing

@Suite("Windows on the accessibility bus")
struct AccessibleWindowTests {
    static let state: AccessibilityState = {
        var state = AccessibilityState(problem: nil)
        state.windows = [
            AccessibleWindow(pid: 10, title: "Notes - Chromium", active: false, showsDocument: true, url: "http://notes.example/"),
            AccessibleWindow(pid: 10, title: "Bank - Chromium (Incognito)", active: true, showsDocument: true, url: "http://bank.example/"),
            AccessibleWindow(pid: 20, title: "Notes — Mozilla Firefox Private Browsing", active: false, showsDocument: true),
        ]
        return state
    }()

    @Test("An X window is the bus's window of the same process and title, and is not private")
    func sameTitle() {
        let window = Self.state.window(pid: 10, title: "Notes - Chromium")
        #expect(window?.url == "http://notes.example/" && window?.privateWindow == false)
        #expect(Self.state.window(pid: 11, title: "Notes - Chromium") == nil, "another process")
        #expect(Self.state.window(pid: nil, title: "Notes - Chromium") == nil)
    }

    @Test(
        "Chromium's incognito window, whose X title lacks the mark its accessible name has, is that window and private; a longer title that only begins the same is not"
    )
    func incognito() {
        let window = Self.state.window(pid: 10, title: "Bank - Chromium")
        #expect(window?.url == "http://bank.example/" && window?.privateWindow == true)
        #expect(Self.state.window(pid: 10, title: "Bank") == nil, "the mark must follow the whole X title")
        #expect(Self.state.window(pid: 10, title: "Bank - Chromium (Incognito)")?.privateWindow == false, "a title that says so itself")
    }
}
