/// Text put into HTML, by every page and file the project writes.
public enum HTML {
    /// `text` with the characters HTML gives meaning to (`& < > " '`) written as entities, so it
    /// is shown as written inside an element or a quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension HTML {
    /// The headers on every answer of the pages the project serves (the review page, the staff
    /// console): no other origin may frame, script or style them; nothing is cached or sent on.
    public static let securityHeaders = securityHeaders(inlineImages: false)

    /// The same, letting images also come as `data:` addresses in the page itself (the console
    /// draws a held frame from its bundle's tile strips so): images only, never script or style.
    public static func securityHeaders(inlineImages: Bool) -> [(name: String, value: String)] {
        [
            (
                "Content-Security-Policy",
                "default-src 'none'; style-src 'self'; img-src 'self'\(inlineImages ? " data:" : ""); form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
            ("Cache-Control", "no-store"),
        ]
    }

    /// The style both pages start from: readable at 1280×800 and at a phone's width, with a focus
    /// ring that shows where the keyboard is.
    public static let pageStyle = """
        body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
        main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.5rem; }
        .warning { background: #fff3cd; border-left: 4px solid #b58100; padding: .5rem .75rem; }
        .notice { background: #e7f1ff; padding: .5rem .75rem; }
        fieldset { border: 0; padding: 0; } legend { font-weight: 600; margin-bottom: .25rem; }
        button { font: inherit; padding: .4rem .9rem; margin: 0 .5rem .5rem 0; border: 1px solid #555; border-radius: 4px; background: #fff; }
        button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #1b4d8f; outline-offset: 2px; }
        nav a, nav span { margin-right: .75rem; }
        table { border-collapse: collapse; } caption { text-align: left; font-weight: 600; }
        td, th { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
        """
}
