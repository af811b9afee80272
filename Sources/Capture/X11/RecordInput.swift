import CX11

/// A device event as the X server saw it, parsed from RECORD's 32-byte wire events, or a
/// client's change to the keyboard mapping, in the order the server processed them.
struct RawInput {
    enum Kind: UInt8 {
        case keyPress = 2
        case keyRelease = 3
        case buttonPress = 4
        case buttonRelease = 5
        case motion = 6
        /// `ChangeKeyboardMapping`: `detail` is the first keycode, `keysyms` the new keysyms.
        case keymapChange = 100
    }

    var kind: Kind
    /// Keycode or button number.
    var detail: UInt8
    /// Server time in milliseconds.
    var serverMs: UInt32
    var x: Int16
    var y: Int16
    /// Modifier and button state before the event (XKB group in bits 13-14).
    var state: UInt16
    /// For `keymapChange`: keysyms per keycode, one list per keycode from `detail` on.
    var keysyms: [[UInt32]] = []
}

/// Input through the RECORD extension: every device event the server processes, including
/// XTEST input and pointer warps (`xdotool mousemove`), with exact root coordinates and state.
///
/// Keyboard mapping requests are recorded too: xdotool types a character missing from the
/// keymap by mapping it onto a spare keycode for a moment, and only the request's place in
/// the stream says what that keycode meant when it was pressed.
///
/// RECORD calls back from inside `XRecordProcessReplies`; the callback only appends to
/// `pending`, and ``drain()`` hands the batch to the capture loop, so the C callback never
/// escapes this type.
final class RecordInput {
    private let control: X11Display
    private let data: X11Display
    private var context: XRecordContext = 0
    private let box = PendingBox()

    /// Holds events between the C callback and ``drain()``. Touched by the capture thread only.
    final class PendingBox {
        var pending: [RawInput] = []
        /// The server said the data stream is over (after the context was disabled).
        var ended = false
    }

    init(control: X11Display, displayName: String?) throws(CaptureError) {
        self.control = control
        guard control.hasExtension("RECORD") else { throw .missingExtension("RECORD") }
        // RECORD needs a connection of its own for the data stream.
        data = try X11Display(name: displayName)
        guard let range = XRecordAllocRange() else { throw .recordFailed("cannot allocate a range") }
        defer { XFree(range) }
        range.pointee.device_events.first = UInt8(KeyPress)
        range.pointee.device_events.last = UInt8(MotionNotify)
        range.pointee.core_requests.first = RawInput.Kind.keymapChange.rawValue
        range.pointee.core_requests.last = RawInput.Kind.keymapChange.rawValue
        var clients: XRecordClientSpec = XRecordClientSpec(XRecordAllClients)
        var ranges: UnsafeMutablePointer<XRecordRange>? = range
        context = XRecordCreateContext(control.handle, 0, &clients, 1, &ranges, 1)
        guard context != 0 else { throw .recordFailed("the server refused a record context") }
        control.sync()
        let status = XRecordEnableContextAsync(
            data.handle, context,
            { closure, intercepted in
                guard let closure, let intercepted else { return }
                let box = Unmanaged<PendingBox>.fromOpaque(UnsafeRawPointer(closure)).takeUnretainedValue()
                RecordInput.receive(intercepted, into: box)
            }, UnsafeMutableRawPointer(Unmanaged.passUnretained(box).toOpaque()).assumingMemoryBound(to: CChar.self))
        guard status != 0 else { throw .recordFailed("the server refused to enable recording") }
    }

    var fileDescriptor: Int32 { data.fileDescriptor }

    /// Whether the data connection broke.
    var isLost: Bool { X11IOErrors.isLost(data) }

    /// Reads whatever the server has sent and returns the input events in server order.
    func drain() -> [RawInput] {
        XRecordProcessReplies(data.handle)
        let batch = box.pending
        box.pending.removeAll(keepingCapacity: true)
        return batch
    }

    /// Stops recording and returns the events the server still had buffered: after the
    /// context is disabled it sends them, then ends the stream.
    func close() -> [RawInput] {
        guard context != 0 else { return [] }
        XRecordDisableContext(control.handle, context)
        control.sync()
        var rest: [RawInput] = []
        for _ in 0..<100 where !box.ended && !isLost {
            var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 10)
            rest += drain()
        }
        XRecordFreeContext(control.handle, context)
        control.sync()
        context = 0
        return rest
    }

    private static func receive(_ intercepted: UnsafeMutablePointer<XRecordInterceptData>, into box: PendingBox) {
        defer { XRecordFreeData(intercepted) }
        let record = intercepted.pointee
        if record.category == XRecordEndOfData { box.ended = true }
        guard let bytes = record.data else { return }
        let raw = UnsafeRawPointer(bytes)
        let length = Int(record.data_len) * 4
        if record.category == XRecordFromClient, length >= 8, raw.load(as: UInt8.self) == RawInput.Kind.keymapChange.rawValue {
            box.pending.append(keymapChange(raw, length: length, serverMs: UInt32(truncatingIfNeeded: record.server_time)))
            return
        }
        guard record.category == XRecordFromServer, length >= 32 else { return }
        guard let kind = RawInput.Kind(rawValue: raw.load(as: UInt8.self) & 0x7F) else { return }
        box.pending.append(
            RawInput(
                kind: kind,
                detail: raw.load(fromByteOffset: 1, as: UInt8.self),
                serverMs: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
                x: raw.loadUnaligned(fromByteOffset: 20, as: Int16.self),
                y: raw.loadUnaligned(fromByteOffset: 22, as: Int16.self),
                state: raw.loadUnaligned(fromByteOffset: 28, as: UInt16.self)))
    }

    /// `ChangeKeyboardMapping`: opcode, keycode count, length; first keycode, keysyms per
    /// keycode, two unused bytes; then the keysyms, four bytes each.
    private static func keymapChange(_ raw: UnsafeRawPointer, length: Int, serverMs: UInt32) -> RawInput {
        let count = Int(raw.load(fromByteOffset: 1, as: UInt8.self))
        let first = raw.load(fromByteOffset: 4, as: UInt8.self)
        let perKeycode = Int(raw.load(fromByteOffset: 5, as: UInt8.self))
        let available = (length - 8) / 4
        let keysyms = (0..<count).map { keycode in
            (0..<perKeycode).compactMap { level -> UInt32? in
                let index = keycode * perKeycode + level
                return index < available ? raw.loadUnaligned(fromByteOffset: 8 + index * 4, as: UInt32.self) : nil
            }
        }
        return RawInput(kind: .keymapChange, detail: first, serverMs: serverMs, x: 0, y: 0, state: 0, keysyms: keysyms)
    }
}
