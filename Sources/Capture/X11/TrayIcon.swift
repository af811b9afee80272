import CX11
import Foundation
import Synchronization

/// What the recording indicator shows.
public enum IndicatorState: Sendable, Equatable {
    /// Recording: a red dot.
    case recording
    /// Paused: two blue bars.
    case paused
    /// Nothing stored now (the focused window is excluded, or storage stopped): a grey ring.
    case notStoring
}

/// What the contributor chose in the indicator's menu.
public enum IndicatorAction: Sendable, Equatable {
    case pause(minutes: Int)
    case resume
    case openReviewPage
}

/// The recording indicator in the desktop's system tray (the freedesktop system-tray protocol
/// over XEmbed): its picture says recording, paused or not storing, and a click opens a menu
/// that pauses for 5, 15 or 30 minutes, resumes, or opens the review page. With no tray on the
/// display it waits, and docks when one starts. All X work happens on a thread of its own, with
/// a connection of its own; what the contributor chooses comes out of ``actions``.
public final class TrayIcon: Sendable {
    public let actions: AsyncStream<IndicatorAction>
    private let shared: Shared

    final class Shared: Sendable {
        let continuation: AsyncStream<IndicatorAction>.Continuation
        let state = Mutex(IndicatorState.recording)
        let stopRequested = Atomic<Bool>(false)
        let wake: (read: Int32, write: Int32)

        init(continuation: AsyncStream<IndicatorAction>.Continuation) {
            self.continuation = continuation
            var fds: [Int32] = [-1, -1]
            pipe(&fds)
            wake = (fds[0], fds[1])
        }

        func poke() {
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }

        deinit {
            close(wake.read)
            close(wake.write)
        }
    }

    /// Connects to the display (nil: `$DISPLAY`) and starts waiting for a tray.
    public init(display: String?) throws(CaptureError) {
        let (stream, continuation) = AsyncStream.makeStream(of: IndicatorAction.self, bufferingPolicy: .bufferingNewest(8))
        actions = stream
        shared = Shared(continuation: continuation)
        let loop = UncheckedHandoff(try TrayLoop(display: X11Display(name: display), shared: shared))
        let thread = Thread { loop.value.run() }
        thread.name = "understudy.tray"
        thread.start()
    }

    /// Shows `state`; the picture is redrawn only when it changes.
    public func show(_ state: IndicatorState) {
        let changed = shared.state.withLock { current in
            defer { current = state }
            return current != state
        }
        if changed { shared.poke() }
    }

    /// Takes the icon out of the tray and ends its thread.
    public func stop() {
        shared.stopRequested.store(true, ordering: .sequentiallyConsistent)
        shared.poke()
    }
}

/// The tray thread: the icon window, its docking, its picture and its menu.
private final class TrayLoop {
    static let menuItems: [(String, IndicatorAction)] = [
        ("Pause 5 minutes", .pause(minutes: 5)), ("Pause 15 minutes", .pause(minutes: 15)), ("Pause 30 minutes", .pause(minutes: 30)),
        ("Resume", .resume), ("Open the review page", .openReviewPage),
    ]
    static let itemHeight: Int32 = 24
    static let menuWidth: UInt32 = 200

    let display: X11Display
    let shared: TrayIcon.Shared
    let icon: Window
    let gc: GC
    let selection: Atom
    let opcode: Atom
    let managerAtom: Atom
    var manager: Window = 0
    var size: (width: Int32, height: Int32) = (24, 24)
    var menu: Window?
    var drawn: IndicatorState?

    init(display: X11Display, shared: TrayIcon.Shared) {
        self.display = display
        self.shared = shared
        let handle = display.handle
        let screen = XDefaultScreen(handle)
        selection = display.atom("_NET_SYSTEM_TRAY_S\(screen)")
        opcode = display.atom("_NET_SYSTEM_TRAY_OPCODE")
        managerAtom = display.atom("MANAGER")
        icon = XCreateSimpleWindow(handle, display.root, 0, 0, 24, 24, 0, 0, 0x30_3030)
        gc = XCreateGC(handle, icon, 0, nil)
        Self.name(icon, on: display, class: "UnderstudyTray", title: "Understudy: recording indicator")
        // The tray sizes its icons by what they ask for (GTK's socket reads the minimum size):
        // without it, trayer gives a window one pixel wide.
        let hints = XAllocSizeHints()!
        hints.pointee.flags = PMinSize | PBaseSize
        (hints.pointee.min_width, hints.pointee.min_height, hints.pointee.base_width, hints.pointee.base_height) = (22, 22, 24, 24)
        XSetWMNormalHints(handle, icon, hints)
        XFree(hints)
        // XEmbed: protocol version 0, mapped once docked.
        var info: [UInt] = [0, 1]
        let xembed = display.atom("_XEMBED_INFO")
        _ = info.withUnsafeMutableBytes { XChangeProperty(handle, icon, xembed, xembed, 32, PropModeReplace, $0.baseAddress, 2) }
        XSelectInput(handle, icon, ExposureMask | ButtonPressMask | StructureNotifyMask)
        // A tray that starts later says so to the root window.
        XSelectInput(handle, display.root, StructureNotifyMask)
        dock()
    }

    func run() {
        while !shared.stopRequested.load(ordering: .sequentiallyConsistent), !X11IOErrors.isLost(display) {
            handleEvents()
            if shared.state.withLock({ $0 }) != drawn { draw() }
            display.flush()
            var fds = [
                pollfd(fd: display.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: shared.wake.read, events: Int16(POLLIN), revents: 0),
            ]
            if XPending(display.handle) > 0 { continue }
            guard poll(&fds, 2, 1000) > 0 else { continue }
            if fds[1].revents != 0 {
                var scratch = [UInt8](repeating: 0, count: 16)
                _ = read(shared.wake.read, &scratch, scratch.count)
            }
        }
        closeMenu()
        XDestroyWindow(display.handle, icon)
        XFreeGC(display.handle, gc)
        display.flush()
        shared.continuation.finish()
    }

    /// Asks the tray, if there is one, to take the icon.
    private func dock() {
        manager = XGetSelectionOwner(display.handle, selection)
        guard manager != 0 else { return }
        XSelectInput(display.handle, manager, StructureNotifyMask)
        var event = XEvent()
        event.xclient.type = ClientMessage
        event.xclient.window = manager
        event.xclient.message_type = opcode
        event.xclient.format = 32
        event.xclient.data.l = (Int(CurrentTime), 0, Int(icon), 0, 0)  // SYSTEM_TRAY_REQUEST_DOCK
        XSendEvent(display.handle, manager, 0, NoEventMask, &event)
        drawn = nil
    }

    private func handleEvents() {
        while XPending(display.handle) > 0 {
            var event = XEvent()
            XNextEvent(display.handle, &event)
            switch event.type {
            case ClientMessage where event.xclient.message_type == managerAtom && Atom(event.xclient.data.l.1) == selection:
                dock()
            case DestroyNotify where event.xdestroywindow.window == manager:
                manager = 0
            case ConfigureNotify where event.xconfigure.window == icon:
                size = (event.xconfigure.width, event.xconfigure.height)
                drawn = nil
            case Expose where event.xexpose.window == icon:
                drawn = nil
            case Expose where event.xexpose.window == menu:
                drawMenu()
            case ButtonPress where event.xbutton.window == icon && menu == nil:
                openMenu(x: event.xbutton.x_root, y: event.xbutton.y_root)
            case ButtonPress where menu != nil:
                choose(x: event.xbutton.x, y: event.xbutton.y, in: event.xbutton.window)
            case KeyPress where menu != nil:
                closeMenu()
            default:
                break
            }
        }
    }

    /// Red dot, blue bars or grey ring, on a dark square.
    private func draw() {
        let state = shared.state.withLock { $0 }
        drawn = state
        let handle = display.handle
        let (w, h) = (max(size.width, 8), max(size.height, 8))
        let side = min(w, h) * 2 / 3
        let (x, y) = ((w - side) / 2, (h - side) / 2)
        XSetForeground(handle, gc, 0x30_3030)
        XFillRectangle(handle, icon, gc, 0, 0, UInt32(w), UInt32(h))
        switch state {
        case .recording:
            XSetForeground(handle, gc, 0xE5_3935)
            XFillArc(handle, icon, gc, x, y, UInt32(side), UInt32(side), 0, 360 * 64)
        case .paused:
            XSetForeground(handle, gc, 0x42_A5F5)
            let bar = max(side / 3, 2)
            XFillRectangle(handle, icon, gc, x, y, UInt32(bar), UInt32(side))
            XFillRectangle(handle, icon, gc, x + side - bar, y, UInt32(bar), UInt32(side))
        case .notStoring:
            XSetForeground(handle, gc, 0x9E_9E9E)
            XSetLineAttributes(handle, gc, UInt32(max(side / 6, 2)), LineSolid, CapButt, JoinMiter)
            XDrawArc(handle, icon, gc, x, y, UInt32(side), UInt32(side), 0, 360 * 64)
        }
    }

    private func openMenu(x: Int32, y: Int32) {
        let handle = display.handle
        let height = UInt32(Self.itemHeight) * UInt32(Self.menuItems.count)
        let screenWidth = XDisplayWidth(handle, XDefaultScreen(handle))
        let screenHeight = XDisplayHeight(handle, XDefaultScreen(handle))
        let left = max(0, min(x - 10, screenWidth - Int32(Self.menuWidth) - 2))
        let top = y + 12 + Int32(height) < screenHeight ? y + 12 : max(0, y - 12 - Int32(height))
        let window = XCreateSimpleWindow(handle, display.root, left, top, Self.menuWidth, height, 1, 0, 0xFF_FFFF)
        var attributes = XSetWindowAttributes()
        attributes.override_redirect = 1
        XChangeWindowAttributes(handle, window, UInt(CWOverrideRedirect), &attributes)
        Self.name(window, on: display, class: "UnderstudyTrayMenu", title: "Understudy")
        XSelectInput(handle, window, ExposureMask | ButtonPressMask | KeyPressMask)
        XMapRaised(handle, window)
        // Held while the menu is open, so a click anywhere else closes it.
        XGrabPointer(handle, window, 0, UInt32(ButtonPressMask), GrabModeAsync, GrabModeAsync, 0, 0, UInt(CurrentTime))
        XGrabKeyboard(handle, window, 0, GrabModeAsync, GrabModeAsync, UInt(CurrentTime))
        menu = window
    }

    private func drawMenu() {
        guard let menu else { return }
        let handle = display.handle
        XSetForeground(handle, gc, 0x1B_1B1B)
        for (index, item) in Self.menuItems.enumerated() {
            let baseline = Int32(index) * Self.itemHeight + 16
            _ = item.0.withCString { XDrawString(handle, menu, gc, 10, baseline, $0, Int32(strlen($0))) }
        }
    }

    /// A click in the menu (its coordinates are the menu's, the pointer being grabbed by it):
    /// the item under it, or none when outside; either way the menu closes.
    private func choose(x: Int32, y: Int32, in window: Window) {
        defer { closeMenu() }
        guard window == menu, x >= 0, x < Int32(Self.menuWidth), y >= 0 else { return }
        let index = Int(y / Self.itemHeight)
        guard index < Self.menuItems.count else { return }
        shared.continuation.yield(Self.menuItems[index].1)
    }

    private func closeMenu() {
        guard let window = menu else { return }
        XUngrabPointer(display.handle, UInt(CurrentTime))
        XUngrabKeyboard(display.handle, UInt(CurrentTime))
        XDestroyWindow(display.handle, window)
        menu = nil
    }

    private static func name(_ window: Window, on display: X11Display, class name: String, title: String) {
        let hint = XAllocClassHint()!
        defer { XFree(hint) }
        let (resName, resClass) = (strdup("understudy"), strdup(name))
        defer {
            free(resName)
            free(resClass)
        }
        hint.pointee.res_name = resName
        hint.pointee.res_class = resClass
        XSetClassHint(display.handle, window, hint)
        XStoreName(display.handle, window, title)
    }
}
