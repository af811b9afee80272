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
